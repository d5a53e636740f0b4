using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http.Metadata;
using Npgsql;
using StatsApi.Auth;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Privacy;

namespace StatsApi.Attendance;

/// <summary>The range's marks as they stream out of the reader, a row at a time, so memory stays flat however many rows.</summary>
internal sealed record ExportRange(string School, DateTimeOffset Starts, DateTimeOffset Ends, string TimeZone, long AfterLesson, long AfterStudent, int Limit);

/// <summary>
/// Streams the export; the units of rows it did not read are given back at the end (<see cref="RowCosts"/>).
/// In (lesson_id, student_id) order, which no later write reorders: a resumed export goes on where it stopped.
/// </summary>
internal sealed class MarkExport : IResult, IEndpointMetadataProvider
{
    private readonly ExportRange _range;
    private readonly ExportFormat _format;
    private readonly int _unitsTaken;
    private long _rows;

    internal MarkExport(ExportRange range, ExportFormat format, int unitsTaken) => (_range, _format, _unitsTaken) = (range, format, unitsTaken);

    // AccessRules.ReadMark in SQL (@teaching, @own): a teacher's marks are those of the lessons they teach or whose course
    // they teach, a student's their own. Each table is read under the school itself, as Citus routes it to one shard.
    private const string Sql = """
        select a.lesson_id, a.student_id, l.course_id, c.code, (l.starts_at at time zone @zone)::date as day, l.starts_at, a.status, a.recorded_at
        from lessons l
        join attendance_records a on a.school_id = @school and a.lesson_id = l.lesson_id
        join courses c on c.school_id = @school and c.course_id = l.course_id
        where l.school_id = @school
          and l.starts_at >= @starts and l.starts_at < @ends
          and (a.lesson_id, a.student_id) > (@afterLesson, @afterStudent)
          and l.lesson_id >= @afterLesson
          and (@teaching::bigint is null or l.teacher_id = @teaching or c.teacher_id = @teaching)
          and (@own::bigint is null or a.student_id = @own)
        order by a.lesson_id, a.student_id
        limit @limit
        """;

    private NpgsqlCommand Command(NpgsqlConnection connection, string sql, ListNarrowing narrowing)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("school", _range.School);
        command.Parameters.AddWithValue("zone", _range.TimeZone);
        command.Parameters.AddWithValue("starts", _range.Starts);
        command.Parameters.AddWithValue("ends", _range.Ends);
        command.Parameters.AddWithValue("afterLesson", _range.AfterLesson);
        command.Parameters.AddWithValue("afterStudent", _range.AfterStudent);
        command.Parameters.AddWithValue("limit", _range.Limit);
        command.Parameters.Add(new NpgsqlParameter<long?>("teaching", narrowing.Teacher) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<long?>("own", narrowing.Own) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        return command;
    }

    // The students of exactly the rows the export will send, recorded before the first is sent (decision 0014):
    // the same statement, its ids alone, so an answer never discloses a student the record does not name.
    private async Task RecordDisclosuresAsync(HttpContext http, CancellationToken cancellation)
    {
        var students = new List<long>();
        await using (var connection = await http.RequestServices.GetRequiredService<ReadDataSource>().OpenConnectionAsync(cancellation))
        await using (var command = Command(connection, $"select distinct student_id from ({Sql}) sent", ListNarrowing.Of(http.User)))
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            while (await reader.ReadAsync(cancellation))
            {
                students.Add(reader.GetInt64(0));
            }
        }
        await Disclosures.RecordAsync(http, http.RequestServices.GetRequiredService<NpgsqlDataSource>(), _range.School, students, Disclosures.What.TermExport);
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var http = httpContext;
        var cancellation = http.RequestAborted;
        try
        {
            await RecordDisclosuresAsync(http, cancellation);
        }
        catch
        {
            await RowCosts.RefundAsync(http, _unitsTaken);
            throw;
        }
        var response = http.Response;
        response.ContentType = _format.ContentType;
        response.Headers.CacheControl = "private, no-store";
        response.Headers.Vary = "Accept-Encoding";
        Stream body = response.Body;
        GZipStream? gzip = null;
        if (AcceptsGzip(http.Request))
        {
            response.Headers.ContentEncoding = "gzip";
            body = gzip = new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true);
        }
        try
        {
            await using (var writer = new StreamWriter(body, new UTF8Encoding(false), bufferSize: 1 << 16, leaveOpen: true))
            {
                await WriteRowsAsync(http, writer, cancellation);
            }
            if (gzip is not null)
            {
                await gzip.DisposeAsync();
            }
        }
        finally
        {
            await RowCosts.RefundAsync(http, _unitsTaken - RowCosts.UnitsFor(_rows));
        }
    }

    // Counted as read, so an export cut short still pays for the rows it read.
    private async Task WriteRowsAsync(HttpContext http, StreamWriter writer, CancellationToken cancellation)
    {
        var narrowing = ListNarrowing.Of(http.User);
        var line = new StringBuilder(256);
        _format.Header(line);
        await using var connection = await http.RequestServices.GetRequiredService<ReadDataSource>().OpenConnectionAsync(cancellation);
        await using var command = Command(connection, Sql, narrowing);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            var lesson = reader.GetInt64(0);
            var student = reader.GetInt64(1);
            _format.Row(line, new ExportRow(
                FormattableString.Invariant($"{lesson}:{student}"), lesson, reader.GetInt64(2), reader.GetString(3), student,
                DateOnly.FromDateTime(reader.GetDateTime(4)), reader.GetDateTime(5), reader.GetString(6), reader.GetDateTime(7)));
            _rows++;
            if (line.Length > 8192)
            {
                await writer.WriteAsync(line, cancellation);
                line.Clear();
            }
        }
        await writer.WriteAsync(line, cancellation);
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        request.Headers.AcceptEncoding.Any(v => v is not null && v.Split(',').Any(e =>
            e.Split(';')[0].Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase) && !e.Replace(" ", "", StringComparison.Ordinal).EndsWith(";q=0", StringComparison.Ordinal)));

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(ExportRow), ["application/x-ndjson", "text/csv"]));
}
