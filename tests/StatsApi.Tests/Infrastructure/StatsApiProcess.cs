using System.Diagnostics;
using System.Text.RegularExpressions;

namespace StatsApi.Tests.Infrastructure;

/// <summary>The service's executable run as a process, as a deployment or an administrator starts it.</summary>
public static partial class StatsApiProcess
{
    // Only a hang's limit: a command ends within a second on a quiet machine, but a cold start of the
    // runtime behind a load average of 60 on two cores has been seen to take more than 30 s.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>Runs StatsApi.dll with these arguments; a null value in <paramref name="environment"/> unsets the variable.</summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(IDictionary<string, string?> environment, params string[] args)
    {
        using var process = Process.Start(StartInfo(environment, args))!;
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
            Assert.Fail($"'StatsApi {string.Join(' ', args)}' was still running after {Timeout.TotalSeconds:0} s.");
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts the server and returns once it listens, on a loopback port of its own unless the arguments name another.</summary>
    public static async Task<ServerProcess> StartServerAsync(IDictionary<string, string?> environment, params string[] args)
    {
        var process = Process.Start(StartInfo(environment, args))!;
        var server = new ServerProcess(process);
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            server.Output.Enqueue(line.Data ?? "");
            if (line.Data is not null && ListeningOn().Match(line.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, line) => server.Output.Enqueue(line.Data ?? "");
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The server exited: {string.Join('\n', server.Output)}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        server.Address = await listening.Task.WaitAsync(Timeout);
        return server;
    }

    private static ProcessStartInfo StartInfo(IDictionary<string, string?> environment, string[] args)
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
        return start;
    }

    [GeneratedRegex("Now listening on: (https?://[0-9.]+:[0-9]+)")]
    private static partial Regex ListeningOn();
}

/// <summary>A running server: where it listens, what it wrote, and how to stop it as an orchestrator does.</summary>
public sealed class ServerProcess(Process process) : IAsyncDisposable
{
    public Uri Address { get; internal set; } = null!;

    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();

    /// <summary>SIGTERM, as Kubernetes, systemd and docker stop send first.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(limit.Token);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
