using System.Diagnostics;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>scripts/run.sh, the newcomer's first command: it says how to use it, and an admin command through it is quick.</summary>
public class RunScriptTests
{
    [Theory]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task HelpPrintsTheUsageWithThePortSettingAndExits0(string help)
    {
        var (exit, output, _) = await BashAsync(Repository.PathOf("."), [], Repository.PathOf("scripts/run.sh"), help);

        Assert.Equal(0, exit);
        Assert.StartsWith("Usage: ./scripts/run.sh", output, StringComparison.Ordinal);
        Assert.Contains("STATSAPI_PORT", output, StringComparison.Ordinal);
        Assert.Contains("admin COMMAND", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownCommandExits2WithTheUsage()
    {
        var (exit, _, error) = await BashAsync(Repository.PathOf("."), [], Repository.PathOf("scripts/run.sh"), "strat");

        Assert.Equal(2, exit);
        Assert.Contains("Usage: ./scripts/run.sh", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheServiceIsBuiltAgainOnlyWhenAFileItIsBuiltFromChanged()
    {
        // A checkout of the files the build reads, and a dotnet that records each build and writes the executable.
        var checkout = Directory.CreateTempSubdirectory("statsapi-build");
        var sources = new[] { "src/StatsApi/Program.cs", "src/StatsApi/appsettings.json", "db/migrations/0001_school_data.sql", "Directory.Build.props", "Directory.Packages.props", "global.json" };
        foreach (var source in sources)
        {
            var file = Path.Combine(checkout.FullName, source);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, "");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-1));
        }
        var tools = Directory.CreateDirectory(Path.Combine(checkout.FullName, "tools"));
        var dotnet = Path.Combine(tools.FullName, "dotnet");
        File.WriteAllText(dotnet, "#!/usr/bin/env bash\necho \"$*\" >> builds.log\nmkdir -p src/StatsApi/bin/Release/net10.0\ntouch src/StatsApi/bin/Release/net10.0/StatsApi.dll\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var path = new Dictionary<string, string> { ["PATH"] = $"{tools.FullName}:{Environment.GetEnvironmentVariable("PATH")}" };
        var build = $". '{Repository.PathOf("scripts/lib/build.sh")}' && service_build";
        int Builds() => File.ReadAllLines(Path.Combine(checkout.FullName, "builds.log")).Length;

        Assert.Equal(0, (await BashAsync(checkout.FullName, path, "-c", build)).Exit);
        Assert.Equal(0, (await BashAsync(checkout.FullName, path, "-c", build)).Exit);
        Assert.Equal(1, Builds());

        File.SetLastWriteTimeUtc(Path.Combine(checkout.FullName, "db/migrations/0001_school_data.sql"), DateTime.UtcNow.AddHours(1));
        Assert.Equal(0, (await BashAsync(checkout.FullName, path, "-c", build)).Exit);
        Assert.Equal(2, Builds());
        checkout.Delete(recursive: true);
    }

    private static async Task<(int Exit, string Output, string Error)> BashAsync(string directory, Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
