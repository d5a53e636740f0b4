using System.Globalization;
using System.Security.Cryptography;
using System.Text.Unicode;
using StatsApi.Auth;

namespace StatsApi.Attendance;

internal enum SummaryGrouping { None, Day, Week, Month, Course }

/// <summary>The summary's query string, checked field by field.</summary>
internal sealed record SummaryRequest(string SchoolId, DateOnly From, DateOnly To, long? CourseId, SummaryGrouping GroupBy)
{
    public long? TeacherId { get; init; }

    public long? StudentId { get; init; }

    /// <summary>The teacher whose reach narrows the counts (AccessRules.ReadMark in SQL); null where the caller reaches the whole school.</summary>
    public long? Teaching { get; init; }

    public const int MaxDays = 366;

    /// <summary>
    /// A digest of the question, school included: the part of the answer's ETag that keeps one school's,
    /// one range's, one grouping's or one teacher's narrowed tag from matching any other's.
    /// </summary>
    public string Fingerprint()
    {
        // A school id is at most 63 characters, so the question fits with room to spare.
        Span<byte> question = stackalloc byte[256];
        if (!Utf8.TryWrite(question, CultureInfo.InvariantCulture,
            $"{SchoolId}|{From:yyyy-MM-dd}|{To:yyyy-MM-dd}|{CourseId}|{TeacherId}|{StudentId}|{GroupBy}{(Teaching is null ? "" : "|")}{Teaching}", out var length))
        {
            throw new InvalidOperationException("The summary's question does not fit its buffer.");
        }
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(question[..length], digest);
        return Convert.ToHexStringLower(digest[..16]);
    }

    public static (SummaryRequest? Request, Dictionary<string, string[]> Errors) Parse(
        string schoolId, string? from, string? to, string? courseId, string? groupBy, string? teacherId = null, string? studentId = null)
    {
        var errors = new Dictionary<string, string[]>();
        // Approved by the token, yet a token from an external provider may name a school in another format.
        if (!SchoolIds.IsValid(schoolId))
        {
            errors["school_id"] = ["school_id must be a school's id, such as 'oakwood-primary'."];
        }
        var fromDate = ParseDate("from", from, errors);
        var toDate = ParseDate("to", to, errors);
        if (fromDate is { } f && toDate is { } t)
        {
            if (f > t)
            {
                errors["from"] = ["from must not be after to."];
            }
            else if (t.DayNumber - f.DayNumber + 1 > MaxDays)
            {
                errors["to"] = [$"The range from..to spans at most {MaxDays} days; ask for several ranges instead."];
            }
        }
        var course = ParseId("course_id", courseId, errors);
        var teacher = ParseId("teacher_id", teacherId, errors);
        var student = ParseId("student_id", studentId, errors);
        var grouping = SummaryGrouping.None;
        if (groupBy is not null && !TryParseGrouping(groupBy, out grouping))
        {
            errors["group_by"] = ["group_by must be one of day, week, month, course."];
        }
        return errors.Count > 0
            ? (null, errors)
            : (new SummaryRequest(schoolId, fromDate!.Value, toDate!.Value, course, grouping) { TeacherId = teacher, StudentId = student }, errors);
    }

    private static long? ParseId(string field, string? value, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0)
        {
            return parsed;
        }
        errors[field] = [$"{field} must be a positive whole number."];
        return null;
    }

    private static DateOnly? ParseDate(string field, string? value, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors[field] = [$"{field} is required, as an ISO 8601 date such as 2026-09-01."];
            return null;
        }
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }
        errors[field] = [$"{field} must be an ISO 8601 date such as 2026-09-01; '{Truncate(value)}' is not."];
        return null;
    }

    private static bool TryParseGrouping(string value, out SummaryGrouping grouping)
    {
        grouping = value switch
        {
            "day" => SummaryGrouping.Day,
            "week" => SummaryGrouping.Week,
            "month" => SummaryGrouping.Month,
            "course" => SummaryGrouping.Course,
            _ => SummaryGrouping.None,
        };
        return grouping != SummaryGrouping.None;
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
