using System.Diagnostics;
using System.Net;
using Dapper;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

[LongRunning(13)]
public class SettingsValidationTests
{
    /// <summary>Starts the built service as a deployment would, with one bad setting, and returns its exit code and error output.</summary>
    private static async Task<(int Exit, string Error)> StartAsync(string setting, string value)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                // Nothing listens there: a service that got past its settings would fail otherwise, not exit 1 with one line.
                ["ConnectionStrings__Default"] = "Host=127.0.0.1;Port=1;Database=statsapi;Timeout=2",
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                [setting.Replace(":", "__", StringComparison.Ordinal)] = value,
            },
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await output;
        return (process.ExitCode, await error);
    }

    [Theory]
    [InlineData("Auth:Algorithms:0", "none", "Auth:Algorithms")]
    [InlineData("Auth:Algorithms:1", "HS256", "Auth:Algorithms")]
    [InlineData("Auth:Issuer", "http://statsapi.example.org", "Auth:Issuer")]
    [InlineData("Auth:ClockSkewSeconds", "300", "Auth:ClockSkewSeconds")]
    [InlineData("Tokens:LifetimeMinutes", "0", "Tokens:LifetimeMinutes")]
    [InlineData("Tokens:Algorithm", "HS256", "Tokens:Algorithm")]
    [InlineData("Database:CommandTimeoutSeconds", "0", "Database:CommandTimeoutSeconds")]
    [InlineData("Database:ConnectionTimeoutSeconds", "0", "Database:ConnectionTimeoutSeconds")]
    [InlineData("Database:MaxAutoPrepare", "-1", "Database:MaxAutoPrepare")]
    [InlineData("Database:MaxReplicaLagSeconds", "0", "Database:MaxReplicaLagSeconds")]
    [InlineData("Http:AllowPlainHttp", "maybe", "Http:AllowPlainHttp")]
    [InlineData("Http:ShutdownTimeoutSeconds", "0", "Http:ShutdownTimeoutSeconds")]
    [InlineData("Telemetry:MetricsUrls:0", "https://0.0.0.0:9464", "Telemetry:MetricsUrls")]
    [InlineData("Telemetry:MetricsUrls:0", "http://127.0.0.1", "Telemetry:MetricsUrls")]
    [InlineData("RateLimits:WindowSeconds", "0", "RateLimits:WindowSeconds")]
    [InlineData("RateLimits:Tiers:free:Cost", "5", "RateLimits:Tiers:free:Cost")]
    [InlineData("Redis:Configuration", "127.0.0.1:6379,nosuchoption=1", "Redis:Configuration")]
    public async Task ABadSettingStopsStartUpWithOneLineNamingIt(string setting, string value, string named)
    {
        var (exit, error) = await StartAsync(setting, value);

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("Configuration error: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }
}

public sealed class ShortStatementTimeoutFactory : StatsApiFactory
{
    public ShortStatementTimeoutFactory() => With("Database:CommandTimeoutSeconds", "1");
}

public class StatementTimeoutTests(ShortStatementTimeoutFactory app) : IClassFixture<ShortStatementTimeoutFactory>
{
    [Fact]
    public async Task AQueryLongerThanTheStatementTimeoutIs503RatherThanAHang()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // The summary's read waits behind this lock for as long as the lock is held.
        await connection.ExecuteAsync("lock table attendance_daily, attendance_school_daily in access exclusive mode", transaction: transaction);

        var timer = Stopwatch.StartNew();
        var response = await client.GetAsync("/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30");

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        Assert.InRange(timer.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
    }
}
