using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>README's first call, as a newcomer pastes it: curl and jq against the service over HTTPS.</summary>
[LongRunning(5)]
public class FirstCallTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public async Task TheFirstCallPrintsOneBodyPerLineAndIsSafeToPasteTwice()
    {
        var files = Directory.CreateTempSubdirectory("statsapi-first-call");
        using var certificate = LoopbackCertificate.Create();
        var pfx = Path.Combine(files.FullName, "localhost.pfx");
        var pem = Path.Combine(files.FullName, "localhost.pem");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "first-call"));
        await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem());
        // As run.sh serves it, with the address given the way ASP.NET Core applications take it.
        await using var server = await StatsApiProcess.StartServerAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Default"] = app.ConnectionString,
            ["Tokens__KeyEncryptionKey"] = StatsApiFactory.KeyEncryptionKey,
            ["Kestrel__Certificates__Default__Path"] = pfx,
            ["Kestrel__Certificates__Default__Password"] = "first-call",
        }, "--urls", "https://127.0.0.1:0");

        var demo = await app.CreateClientAsync(["oakwood-primary", "ravenscroft-high"],
            [Scopes.SchoolsRead, Scopes.UsersRead, Scopes.CoursesRead, Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.AttendanceRead, Scopes.AttendanceWrite]);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var (course, teacher) = await connection.QuerySingleAsync<(long, long)>(
            "select course_id, teacher_id from courses where school_id = 'oakwood-primary' order by course_id limit 1");
        var created = await app.Services.GetRequiredService<StatsApi.Writes.SchoolWrites>().RunAsync(StatsApi.Writes.Actor.CommandLine(), "oakwood-primary",
            scope => PersonTokens.ApiTokens.CreateAsync(scope, teacher, "First call"), CancellationToken.None);
        var script = Repository.Read("scripts/first-call.sh")
            .Replace("https://localhost:5443", server.Address.ToString().TrimEnd('/'), StringComparison.Ordinal)
            .Replace(".local/localhost.pem", pem, StringComparison.Ordinal);
        var environment = new Dictionary<string, string>
        {
            ["CLIENT_ID"] = demo.Client.ClientId,
            ["CLIENT_SECRET"] = demo.ClientSecret,
            ["TEACHER_API_TOKEN"] = created!.Token,
        };

        var first = await PasteAsync(script, environment);
        var second = await PasteAsync(script, environment);

        foreach (var pasted in new[] { first, second })
        {
            // The summary of the term, the lessons of a week, the register, the summary of the day: one body a line.
            Assert.Equal(4, pasted.Length);
            Assert.All(pasted, line => Assert.False(JsonDocument.Parse(line).RootElement.TryGetProperty("error_code", out _), line));
        }
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from lessons where school_id = 'oakwood-primary' and course_id = @course and starts_at = '2026-11-23T09:00:00Z'", new { course }));
        Assert.Equal(first[3], second[3]);
        files.Delete(recursive: true);
    }

    private static async Task<string[]> PasteAsync(string script, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        // Only a hang's limit: the calls take a second on a quiet machine, far more behind a load of 60.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error);
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
