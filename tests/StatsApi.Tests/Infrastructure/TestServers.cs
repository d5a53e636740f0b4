using System.Net.Sockets;
using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("StatsApi.Tests.Infrastructure.TestServersFirst", "StatsApi.Tests")]

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// What the tests need around them, which scripts/test.sh provides: a PostgreSQL, a Redis, the PostgreSQL
/// server binaries the fault tests run clusters with, and, for the browser tests, Chromium.
/// </summary>
public static class TestServers
{
    /// <summary>What is missing, one line each with what to do about it; empty when nothing is.</summary>
    public static IReadOnlyList<string> Missing(bool browser)
    {
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TestPostgres.Variable)) && !DockerAnswers())
        {
            missing.Add($"PostgreSQL: {TestPostgres.Variable} (an admin connection string) is not set and Docker does not answer for Testcontainers");
        }
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TestRedis.Variable)))
        {
            missing.Add($"Redis: {TestRedis.Variable} (host:port of a redis-server) is not set");
        }
        if (!File.Exists(Path.Combine(PostgresCluster.Bin, "pg_ctl")))
        {
            missing.Add($"PostgreSQL server binaries: no pg_ctl in {PostgresCluster.Bin} (set PG_BIN) for the tests that stop and start a cluster of their own");
        }
        if (browser && !File.Exists(ApiDocsBrowserTests.Chromium))
        {
            missing.Add($"Chromium: not installed at {ApiDocsBrowserTests.Chromium} (Debian's chromium package) for the browser tests");
        }
        return missing;
    }

    private static bool DockerAnswers()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")))
        {
            return true;
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint("/var/run/docker.sock"));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>
/// xunit's own framework, but a run without the servers stops before its first test with one message
/// naming each missing server and the script that provides them all, instead of failing test by test.
/// </summary>
public sealed class TestServersFirst(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            var cases = testCases.ToList();
            var browser = cases.Any(c => c.TestMethod.TestClass.Class.Name.EndsWith("BrowserTests", StringComparison.Ordinal));
            if (TestServers.Missing(browser) is { Count: > 0 } missing)
            {
                throw new InvalidOperationException(
                    "The tests cannot start; missing:\n  - " + string.Join("\n  - ", missing)
                    + "\nRun ./scripts/test.sh (extra arguments go to dotnet test), which starts a throwaway PostgreSQL and Redis and installs what is missing.");
            }
            base.RunTestCases(cases, executionMessageSink, executionOptions);
        }
    }
}
