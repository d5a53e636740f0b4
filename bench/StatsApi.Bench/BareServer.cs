using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

/// <summary>
/// The floor the service is measured against: Kestrel and Npgsql running the summary's own SQL over
/// the per-school rollup, and a constant JSON answer, with no authentication, limits or logging. It runs
/// as a process of its own (the bench started with --bare-server PORT), so it shares neither the bench's
/// garbage collector nor its thread pool, as the service does not.
/// </summary>
internal static class BareServer
{
    public static async Task RunAsync(string connectionString, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        // As the outside bench's baseline does: statements prepared, a pool as large as the service's.
        var dataSource = NpgsqlDataSource.Create($"{connectionString};Max Auto Prepare=20;Maximum Pool Size=64");
        var app = builder.Build();
        app.MapGet("/bare/json", () => Results.Text("""{"status":"ok"}""", "application/json"));
        app.MapGet("/bare/summary", async (HttpContext http) =>
        {
            var query = http.Request.Query;
            await using var command = dataSource.CreateCommand("""
                select coalesce(sum(present), 0)::bigint, coalesce(sum(absent), 0)::bigint, coalesce(sum(late), 0)::bigint, coalesce(sum(excused), 0)::bigint
                from attendance_school_daily where school_id = $1 and day between $2 and $3
                """);
            command.Parameters.Add(new() { Value = query["school_id"].ToString() });
            command.Parameters.Add(new() { Value = DateOnly.Parse(query["from"].ToString(), CultureInfo.InvariantCulture) });
            command.Parameters.Add(new() { Value = DateOnly.Parse(query["to"].ToString(), CultureInfo.InvariantCulture) });
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return Results.Json(new { present = reader.GetInt64(0), absent = reader.GetInt64(1), late = reader.GetInt64(2), excused = reader.GetInt64(3) });
        });
        await app.RunAsync();
    }
}
