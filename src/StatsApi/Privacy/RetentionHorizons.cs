using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StatsApi.Http;

namespace StatsApi.Privacy;

/// <summary>How far back a school's raw marks are still held, for the reads of one student's marks.</summary>
internal static class RetentionHorizons
{
    public const string DetailExpiredCode = "detail_expired";

    /// <summary>The first day whose marks the retention job kept, or null while none expired.</summary>
    public static async Task<DateOnly?> MarksKeptFromAsync(NpgsqlDataSource dataSource, string school, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<DateOnly?>(new CommandDefinition(
            "select marks_kept_from from retention_horizons where school_id = @school", new { school }, cancellationToken: cancellationToken));
    }

    /// <summary>The answer to a question about one student's marks on days whose detail was deleted: never a count of zero.</summary>
    public static ProblemHttpResult DetailExpired(DateOnly keptFrom)
    {
        var day = keptFrom.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var problem = Problems.Create(StatusCodes.Status410Gone, DetailExpiredCode, "The detail of those days has expired.",
            $"The school keeps one student's marks from {day} on; older marks were deleted under its retention policy and count only in the school's totals.",
            $"Ask from {day} or later; summaries not filtered by student_id still count the expired days.");
        problem.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { ["from"] = [$"from must be {day} or later for one student's marks."] };
        return problem;
    }
}
