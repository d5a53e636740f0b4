using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// The Redis of the test run, which scripts/test.sh starts (its address in STATSAPI_TEST_REDIS), and
/// servers of a test's own, which it can stop and start again.
/// </summary>
public static class TestRedis
{
    public const string Variable = "STATSAPI_TEST_REDIS";

    public static string Configuration =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured
            ? configured
            : throw new InvalidOperationException(
                $"No Redis for the tests: {Variable} is not set. Run ./scripts/test.sh, which starts a throwaway redis-server and sets it.");

    /// <summary>Whether the key a quota is kept under exists in the Redis at <paramref name="configuration"/>.</summary>
    public static async Task<bool> HoldsQuotaAsync(string configuration, string key)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        return await connection.GetDatabase().KeyExistsAsync(StatsApi.RateLimiting.RedisQuotaStore.KeyPrefix + key);
    }
}

/// <summary>A redis-server of the test's own on a free loopback port, keeping nothing on disk.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    public int Port { get; } = FreePort();

    public string Configuration => $"127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed: run ./scripts/test.sh, which installs it.", ex);
        }
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"redis-server did not start on port {Port}.");
    }

    /// <summary>Kills the server at once, as a crash or a lost network would.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
