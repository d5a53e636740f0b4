using System.Diagnostics;

namespace StatsApi.Tests.Infrastructure;

/// <summary>The service's executable run as a process, as a deployment or an administrator starts it.</summary>
public static class StatsApiProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs StatsApi.dll with these arguments; a null value in <paramref name="environment"/> unsets the variable.</summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(IDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "StatsApi.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // Should it serve, it listens on a port of its own and is stopped at the timeout.
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'StatsApi {string.Join(' ', args)}' was still running after {Timeout.TotalSeconds} s.");
        }
        return (process.ExitCode, await output, await error);
    }
}
