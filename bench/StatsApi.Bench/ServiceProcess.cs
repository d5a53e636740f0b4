using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

/// <summary>
/// A server under measure as its own process: the service in Release, configured as behind a
/// TLS-terminating proxy on loopback, or the bare floor.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<ServiceProcess> StartAsync(string serviceDll, string connectionString, int port, IDictionary<string, string> settings)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet", [serviceDll]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ConnectionStrings__Default"] = connectionString;
        start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString();
        // wrk stands where the TLS-terminating proxy would: on loopback, saying X-Forwarded-Proto: https.
        start.Environment["Http__AllowPlainHttp"] = "true";
        start.Environment["Http__TrustedProxies__0"] = "127.0.0.1";
        start.Environment["Auth__Issuer"] = baseAddress.ToString().TrimEnd('/');
        // A database kept between runs needs the key its signing keys were encrypted with.
        start.Environment["Tokens__KeyEncryptionKey"] = Environment.GetEnvironmentVariable("Tokens__KeyEncryptionKey")
            ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }
        return await LaunchAsync(start, baseAddress, "/health/ready");
    }

    /// <summary>The bare floor: this bench's own executable with --bare-server, on the same database.</summary>
    public static async Task<ServiceProcess> StartBareAsync(string connectionString, int port)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var bench = Path.Combine(AppContext.BaseDirectory, "StatsApi.Bench.dll");
        var start = new ProcessStartInfo("dotnet", [bench, "--bare-server", port.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__Default"] = connectionString;
        return await LaunchAsync(start, baseAddress, "/bare/json");
    }

    private static async Task<ServiceProcess> LaunchAsync(ProcessStartInfo start, Uri baseAddress, string readyPath)
    {
        var process = Process.Start(start)!;
        // The service logs a JSON line per request; drop the bytes unread so it never blocks on a full pipe,
        // and the bench spends no CPU splitting and decoding lines the machine's two cores are measured on.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        var service = new ServiceProcess(process, baseAddress);
        using var http = new HttpClient { BaseAddress = baseAddress };
        for (var attempt = 0; attempt < 240; attempt++)
        {
            try
            {
                if ((await http.GetAsync(readyPath)).IsSuccessStatusCode)
                {
                    return service;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {process.ExitCode}.");
            }
            await Task.Delay(250);
        }
        throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not become ready in a minute.");
    }

    /// <summary>The resident set size of the service process, in MB.</summary>
    public double RssMegabytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
