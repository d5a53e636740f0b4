using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

/// <summary>
/// Starts the service as its own process on a loopback port and drives it with a bounded number of
/// concurrent requests for a fixed time per scenario, so the figures include the whole pipeline.
/// </summary>
internal static class HttpLoad
{
    public static async Task RunAsync(string serviceDll, string connectionString, string summaryQuery, TimeSpan duration, int concurrency)
    {
        var port = 20000 + Random.Shared.Next(20000);
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet", [serviceDll]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ConnectionStrings__Default"] = connectionString;
        start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString();
        // The benchmark stands where the TLS-terminating proxy would: on loopback, saying X-Forwarded-Proto: https.
        start.Environment["Http__AllowPlainHttp"] = "true";
        start.Environment["Http__TrustedProxies__0"] = "127.0.0.1";
        start.Environment["Auth__Issuer"] = baseAddress.ToString().TrimEnd('/');
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // The benchmark measures the pipeline, not the quotas: its client's are far above what it sends.
        start.Environment["RateLimits__Tiers__premium__Requests"] = "100000000";
        start.Environment["RateLimits__Tiers__premium__Cost"] = "1000000000";
        using var service = Process.Start(start)!;
        service.OutputDataReceived += (_, _) => { };
        service.ErrorDataReceived += (_, _) => { };
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = baseAddress };
            http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
            await WaitUntilLiveAsync(http);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await GetTokenAsync(http, serviceDll, connectionString));

            Console.WriteLine($"HTTP, {concurrency} concurrent clients, {duration.TotalSeconds:F0} s per scenario (requests/s, median / p99 ms):");
            await MeasureAsync(http, "baseline: GET /health/live, no token", "/health/live", duration, concurrency, anonymous: true);
            await MeasureAsync(http, "GET summary (token, school check, rollup)", summaryQuery, duration, concurrency, anonymous: false);
        }
        finally
        {
            service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync();
        }
    }

    private static async Task WaitUntilLiveAsync(HttpClient http)
    {
        for (var attempt = 0; attempt < 120; attempt++)
        {
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("The service did not become ready.");
    }

    private static async Task<string> GetTokenAsync(HttpClient http, string serviceDll, string connectionString)
    {
        var create = new ProcessStartInfo("dotnet",
            [serviceDll, "clients", "create", "--name", "Benchmark", "--tier", "premium", "--schools", "ravenscroft-high", "--scopes", "attendance:read", "--json"])
        { RedirectStandardOutput = true };
        create.Environment["ConnectionStrings__Default"] = connectionString;
        using var process = Process.Start(create)!;
        var credentials = JsonDocument.Parse(await process.StandardOutput.ReadToEndAsync()).RootElement;
        await process.WaitForExitAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = credentials.GetProperty("client_id").GetString()!,
                ["client_secret"] = credentials.GetProperty("client_secret").GetString()!,
            }),
        };
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task MeasureAsync(HttpClient http, string name, string path, TimeSpan duration, int concurrency, bool anonymous)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var timings = new List<double>();
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (anonymous)
                {
                    request.Headers.Authorization = null;
                }
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return timings;
        }).ToList();
        var all = (await Task.WhenAll(workers)).SelectMany(t => t).Order().ToList();
        Console.WriteLine($"  {name,-44} {all.Count / duration.TotalSeconds,9:F0}   {all[all.Count / 2],6:F2} / {all[(int)(all.Count * 0.99)],6:F2}");
    }
}
