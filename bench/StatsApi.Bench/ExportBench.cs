using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;

/// <summary>
/// The term export of the school with the most marks, as an integrator pulls it: NDJSON in parts of a million
/// rows, each resumed after the last mark_id, counting rows per second and the service's memory before and at
/// its highest during the export.
/// </summary>
internal static class ExportBench
{
    public static async Task RunAsync(ServiceProcess service, NpgsqlDataSource dataSource, Func<string[], Task<string>> admin)
    {
        string school;
        DateOnly from, to;
        long expected;
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            school = await connection.QuerySingleAsync<string>(
                "select school_id from attendance_school_daily group by school_id order by sum(present + absent + late + excused) desc limit 1");
            (from, to, expected) = await connection.QuerySingleAsync<(DateOnly, DateOnly, long)>("""
                select min(day), max(day), sum(present + absent + late + excused)::bigint from attendance_school_daily where school_id = @school
                """, new { school });
        }
        using var json = JsonDocument.Parse(await admin(["clients", "create", "--name", "Bench export", "--tier", "premium", "--schools", school, "--scopes", "attendance:read", "--json"]));
        using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        using (var tokenRequest = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new StringContent("grant_type=client_credentials", Encoding.ASCII, "application/x-www-form-urlencoded") })
        {
            var id = json.RootElement.GetProperty("client_id").GetString();
            var secret = json.RootElement.GetProperty("client_secret").GetString();
            tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{id}:{secret}")));
            var token = JsonDocument.Parse(await (await http.SendAsync(tokenRequest)).Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        const int Part = 1_000_000;
        var rssBefore = service.RssMegabytes();
        var rssPeak = rssBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                rssPeak = Math.Max(rssPeak, service.RssMegabytes());
                await Task.Delay(100);
            }
        });
        var stopwatch = Stopwatch.StartNew();
        long rows = 0;
        string? after = null;
        while (true)
        {
            var path = $"/v1/schools/{school}/attendance/export?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&limit={Part}" + (after is null ? "" : $"&after={after}");
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            long inPart = 0;
            string? last = null;
            while (await reader.ReadLineAsync() is { } line)
            {
                inPart++;
                last = line;
            }
            rows += inPart;
            if (inPart < Part || last is null)
            {
                break;
            }
            after = JsonDocument.Parse(last).RootElement.GetProperty("mark_id").GetString();
        }
        stopwatch.Stop();
        await sampling.CancelAsync();
        await sampler;
        Console.WriteLine($"term export of {school}, NDJSON in parts of {Part:N0}: {rows:N0} of {expected:N0} marks in {stopwatch.Elapsed.TotalSeconds:F1} s = " +
            $"{rows / stopwatch.Elapsed.TotalSeconds:N0} rows/s; service RSS {rssBefore:F0} MB before, {rssPeak:F0} MB at most: +{rssPeak - rssBefore:F0} MB  (targets >= 100,000 rows/s, < 50 MB)");
    }
}
