using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StatsApi.Attendance;

/// <summary>How the export writes a row: NDJSON, one object a line, or CSV per RFC 4180 (CRLF, quoted where needed).</summary>
internal abstract class ExportFormat
{
    public static readonly string[] Columns = ["mark_id", "lesson_id", "course_id", "course_code", "student_id", "day", "starts_at", "status", "updated_at"];

    public abstract string ContentType { get; }

    public abstract void Header(StringBuilder line);

    public abstract void Row(StringBuilder line, ExportRow row);

    public static ExportFormat? Of(string? name) => name switch
    {
        null or "ndjson" => new Ndjson(),
        "csv" => new Csv(),
        _ => null,
    };

    protected static string Instant(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private sealed class Ndjson : ExportFormat
    {
        public override string ContentType => "application/x-ndjson; charset=utf-8";

        public override void Header(StringBuilder line)
        {
        }

        public override void Row(StringBuilder line, ExportRow row) => line.Append(CultureInfo.InvariantCulture,
            $"{{\"mark_id\":\"{row.MarkId}\",\"lesson_id\":{row.LessonId},\"course_id\":{row.CourseId},\"course_code\":{JsonSerializer.Serialize(row.CourseCode)},\"student_id\":{row.StudentId},\"day\":\"{row.Day:yyyy-MM-dd}\",\"starts_at\":\"{Instant(row.StartsAt)}\",\"status\":\"{row.Status}\",\"updated_at\":\"{Instant(row.UpdatedAt)}\"}}\n");
    }

    internal sealed class Csv : ExportFormat
    {
        public override string ContentType => "text/csv; charset=utf-8; header=present";

        public override void Header(StringBuilder line) => line.Append(string.Join(',', Columns)).Append("\r\n");

        public override void Row(StringBuilder line, ExportRow row) => line.Append(CultureInfo.InvariantCulture,
            $"{row.MarkId},{row.LessonId},{row.CourseId},{Field(row.CourseCode)},{row.StudentId},{row.Day:yyyy-MM-dd},{Instant(row.StartsAt)},{Field(row.Status)},{Instant(row.UpdatedAt)}\r\n");

        /// <summary>RFC 4180 §2: a field with a comma, a quote or a line break is quoted, its quotes doubled.</summary>
        public static string Field(string value) =>
            value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
