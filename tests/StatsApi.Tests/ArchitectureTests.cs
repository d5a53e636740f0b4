using System.Text.RegularExpressions;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>
/// The service's folders stand on floors (docs/architecture.md): a folder uses the folders below it and never
/// one above, so the folder graph has no cycle. A folder's dependencies are the other folders' namespaces its
/// files name, as `using StatsApi.X;` or `StatsApi.X.Type`; unused usings fail the build (IDE0005), so every
/// one named is one used.
/// </summary>
public class ArchitectureTests
{
    /// <summary>Bottom to top. A folder may depend on any folder before it in this list, and on no other.</summary>
    private static readonly string[] Floors =
    [
        // Ground: what everything stands on.
        "Http", "Paging", "Redis", "Data", "Demo",
        // Middle: what every request passes through.
        "Health", "Telemetry", "Tokens", "Auth", "Standbys", "Logging", "Docs", "RateLimiting", "Writes", "Privacy",
        // Top: the features a user calls, then the doors they are served through.
        "Schools", "Users", "Courses", "Lessons", "Attendance", "Changes", "PersonTokens", "Clients", "OAuth", "Portal", "Hosting", "Admin",
    ];

    private static readonly string Source = Repository.PathOf("src/StatsApi");

    [Fact]
    public void EveryFolderOfTheServiceHasItsPlaceOnAFloor()
    {
        var folders = Folders().ToHashSet();
        Assert.Empty(folders.Except(Floors));
        Assert.Empty(Floors.Except(folders));
    }

    [Fact]
    public void NoFolderDependsOnAFolderAboveItsOwn()
    {
        var upward = (from folder in Folders()
                      from used in DependenciesOf(folder)
                      where Array.IndexOf(Floors, used) > Array.IndexOf(Floors, folder)
                      select $"{folder} -> {used}").ToList();
        Assert.Empty(upward);
    }

    [Fact]
    public void TheCheckSeesADependencyNamedByAUsingOrByAQualifiedName()
    {
        Assert.Equal(["Tokens"], Named("using StatsApi.Tokens;\nnamespace StatsApi.Auth;", "Auth"));
        Assert.Equal(["Data"], Named("var x = StatsApi.Data.Migrator.Name;", "Auth"));
        Assert.Empty(Named("namespace StatsApi.Auth; // StatsApi.Authority is not a folder", "Auth"));
    }

    private static IEnumerable<string> Folders() =>
        Directory.GetDirectories(Source).Select(Path.GetFileName).OfType<string>().Where(d => d is not ("bin" or "obj"));

    private static IEnumerable<string> DependenciesOf(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Source, folder), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => Named(File.ReadAllText(file), folder))
            .Distinct();

    private static List<string> Named(string code, string own) =>
        Regex.Matches(code, @"\bStatsApi\.(\w+)\b").Select(m => m.Groups[1].Value)
            .Where(name => name != own && Floors.Contains(name))
            .Distinct()
            .ToList();
}
