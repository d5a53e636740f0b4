using System.Globalization;
using Dapper;
using Npgsql;

namespace StatsApi.Attendance;

public abstract record SummaryResult
{
    public sealed record Found(AttendanceSummary Summary) : SummaryResult;
    public sealed record SchoolNotFound : SummaryResult;
    public sealed record CourseNotFound : SummaryResult;
}

/// <summary>Reads the summary from the per-day rollup: its cost follows the days asked for, not the rows stored.</summary>
public sealed class SummaryQuery(NpgsqlDataSource dataSource)
{
    private sealed class Row
    {
        public DateTime? Bucket { get; init; }
        public long? CourseId { get; init; }
        public string? CourseCode { get; init; }
        public string? CourseName { get; init; }
        public long Present { get; init; }
        public long Absent { get; init; }
        public long Late { get; init; }
        public long Excused { get; init; }
    }

    public async Task<SummaryResult> RunAsync(SummaryRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var parameters = new
        {
            school = request.SchoolId,
            from = request.From,
            to = request.To,
            course = request.CourseId,
        };
        var (schoolExists, courseExists) = await connection.QuerySingleAsync<(bool, bool)>("""
            select exists (select 1 from schools where school_id = @school),
                   @course::bigint is null or exists (select 1 from courses where school_id = @school and course_id = @course)
            """, parameters);
        if (!schoolExists)
        {
            return new SummaryResult.SchoolNotFound();
        }
        if (!courseExists)
        {
            return new SummaryResult.CourseNotFound();
        }

        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(Sql(request), parameters, cancellationToken: cancellationToken))).ToList();
        var totals = AttendanceCounts.From(rows.Sum(r => r.Present), rows.Sum(r => r.Absent), rows.Sum(r => r.Late), rows.Sum(r => r.Excused));
        var groups = request.GroupBy == SummaryGrouping.None ? null : rows.Select(r => ToGroup(request, r)).ToList();
        var groupBy = request.GroupBy == SummaryGrouping.None ? null : request.GroupBy.ToString().ToLowerInvariant();
        return new SummaryResult.Found(new AttendanceSummary(request.SchoolId, request.From, request.To, request.CourseId, groupBy, totals, groups));
    }

    // Deletes and moved lessons leave rollup rows at zero; a group appears only where marks are recorded.
    private const string Recorded = "having sum(d.present + d.absent + d.late + d.excused) > 0";

    private static string Sql(SummaryRequest request)
    {
        // Without a course in the question, the per-school rollup has one row a day instead of one a day and course.
        var byCourse = request.CourseId is not null || request.GroupBy == SummaryGrouping.Course;
        var (select, groupBy, join) = request.GroupBy switch
        {
            SummaryGrouping.Day => ("d.day::timestamp as bucket", $"group by 1 {Recorded} order by 1", ""),
            SummaryGrouping.Week => ("date_trunc('week', d.day::timestamp) as bucket", $"group by 1 {Recorded} order by 1", ""),
            SummaryGrouping.Month => ("date_trunc('month', d.day::timestamp) as bucket", $"group by 1 {Recorded} order by 1", ""),
            SummaryGrouping.Course => ("c.course_id, c.code as course_code, c.name as course_name",
                $"group by c.course_id, c.code, c.name {Recorded} order by c.code, c.course_id",
                "join courses c on c.school_id = d.school_id and c.course_id = d.course_id"),
            _ => ("null::timestamp as bucket", "", ""),
        };
        return $"""
            select {select},
                   coalesce(sum(d.present), 0)::bigint as present, coalesce(sum(d.absent), 0)::bigint as absent,
                   coalesce(sum(d.late), 0)::bigint as late, coalesce(sum(d.excused), 0)::bigint as excused
            from {(byCourse ? "attendance_daily" : "attendance_school_daily")} d {join}
            where d.school_id = @school and d.day between @from and @to
            {(byCourse ? "and (@course::bigint is null or d.course_id = @course)" : "")}
            {groupBy}
            """;
    }

    private static AttendanceGroup ToGroup(SummaryRequest request, Row row)
    {
        var counts = AttendanceCounts.From(row.Present, row.Absent, row.Late, row.Excused);
        if (request.GroupBy == SummaryGrouping.Course)
        {
            return new AttendanceGroup(row.CourseId!.Value.ToString(CultureInfo.InvariantCulture), request.From, request.To,
                row.CourseId, row.CourseCode, row.CourseName, counts);
        }
        var start = DateOnly.FromDateTime(row.Bucket!.Value);
        var (key, end) = request.GroupBy switch
        {
            SummaryGrouping.Week => ($"{ISOWeek.GetYear(row.Bucket.Value)}-W{ISOWeek.GetWeekOfYear(row.Bucket.Value):00}", start.AddDays(6)),
            SummaryGrouping.Month => (start.ToString("yyyy-MM", CultureInfo.InvariantCulture), start.AddMonths(1).AddDays(-1)),
            _ => (start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start),
        };
        var from = start < request.From ? request.From : start;
        var to = end > request.To ? request.To : end;
        return new AttendanceGroup(key, from, to, null, null, null, counts);
    }
}
