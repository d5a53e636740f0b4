using Dapper;
using Npgsql;

namespace StatsApi.Tests.Infrastructure;

/// <summary>A fingerprint of every row of the school data, to show that a refused request changed nothing.</summary>
public static class DatabaseSnapshot
{
    private static readonly string[] Tables =
    [
        "schools", "users", "courses", "enrolments", "lessons", "attendance_records",
        "attendance_daily", "attendance_school_daily", "summary_versions", "idempotency_keys", "audit_events",
    ];

    public static async Task<string> TakeAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var parts = new List<string>();
        foreach (var table in Tables)
        {
            parts.Add(await connection.ExecuteScalarAsync<string>(
                $"select '{table}:' || count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from {table} t") ?? "");
        }
        return string.Join('\n', parts);
    }
}
