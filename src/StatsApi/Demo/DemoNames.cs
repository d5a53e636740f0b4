namespace StatsApi.Demo;

/// <summary>The vocabulary of the demo data.</summary>
internal static class DemoNames
{
    public static readonly (string Id, string Name, string TimeZone)[] NamedSchools =
    [
        ("oakwood-primary", "Oakwood Primary School", "Europe/London"),
        ("ravenscroft-high", "Ravenscroft High School", "Europe/London"),
        ("lakeside-academy", "Lakeside Academy", "America/New_York"),
    ];

    public static readonly string[] TimeZones = ["Europe/London", "America/New_York", "America/Chicago", "Europe/Berlin", "Australia/Sydney"];

    public static readonly string[] GivenNames =
    [
        "Olivia", "Noah", "Amelia", "Oliver", "Isla", "George", "Ava", "Arthur", "Mia", "Leo", "Ivy", "Harry", "Freya", "Oscar",
        "Lily", "Muhammad", "Sophia", "Jack", "Grace", "Charlie", "Aisha", "Theo", "Zara", "Finley", "Evie", "Ethan", "Priya",
        "Mateo", "Chloe", "Kai", "Hana", "Samuel", "Nadia", "Lucas", "Emily", "Yusuf", "Maya", "Daniel", "Ella", "Tomasz",
    ];

    public static readonly string[] FamilyNames =
    [
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright", "Thompson",
        "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Khan", "Clarke", "Jackson", "Wood", "Harris", "Lewis", "Martin",
        "Cooper", "King", "Baker", "Nguyen", "Kowalski", "Okafor", "Garcia", "Murphy", "Singh", "Ali", "Chen", "Moore", "Hughes",
    ];

    /// <summary>Subjects a form studies, with their code and lessons a week.</summary>
    public static readonly (string Code, string Name, int PerWeek)[] Subjects =
    [
        ("MATH", "Mathematics", 4), ("ENG", "English", 4), ("SCI", "Science", 3),
        ("HIST", "History", 3), ("GEO", "Geography", 3), ("ART", "Art", 3),
    ];

    /// <summary>Lesson start times in school-local time; every lesson lasts 50 minutes.</summary>
    public static readonly TimeOnly[] Periods = [new(8, 50), new(9, 50), new(11, 10), new(12, 10), new(14, 0)];
}
