using StatsApi;
using StatsApi.Admin;
using StatsApi.Attendance;
using StatsApi.Auth;
using StatsApi.Clients;
using StatsApi.Courses;
using StatsApi.Data;
using StatsApi.Docs;
using StatsApi.Health;
using StatsApi.Hosting;
using StatsApi.Http;
using StatsApi.Lessons;
using StatsApi.Logging;
using StatsApi.OAuth;
using StatsApi.PersonTokens;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Schools;
using StatsApi.Telemetry;
using StatsApi.Tokens;
using StatsApi.Users;
using StatsApi.Writes;

var isCommand = AdminCli.IsCommand(args);
if (isCommand && AdminCli.TryAnswerWithoutServices(args, Console.Out, Console.Error) is { } answered)
{
    return answered;
}

try
{
    return await RunAsync(args, isCommand);
}
catch (ConfigurationException error)
{
    Console.Error.WriteLine($"Configuration error: {error.Message}");
    return 1;
}
catch (Microsoft.Extensions.Options.OptionsValidationException error)
{
    Console.Error.WriteLine($"Configuration error: {string.Join(" ", error.Failures)}");
    return 1;
}
catch (IOException error) when (error.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    Console.Error.WriteLine($"{error.Message} Another process listens there; choose another port (ASPNETCORE_URLS, or STATSAPI_PORT for scripts/run.sh).");
    return 1;
}

static async Task<int> RunAsync(string[] args, bool isCommand)
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        Args = isCommand ? [] : args,
        // appsettings.json sits beside the executable, wherever it is started from.
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.AddStatsApiLogging(isCommand);
    builder.AddStatsApiTelemetry();
    builder.AddStatsApiHttp();
    builder.AddStatsApiData();
    builder.AddStatsApiReads();
    builder.AddStatsApiHealth();
    builder.AddStatsApiTokens();
    builder.AddStatsApiOAuth();
    builder.AddStatsApiAuth();
    builder.AddStatsApiDocs();
    builder.AddStatsApiRateLimits();
    builder.AddStatsApiWrites();
    builder.AddStatsApiSettingsValidation();
    builder.Services.AddScoped<SummaryQuery>();

    var app = builder.Build();
    app.Services.ValidateSettings();
    if (isCommand)
    {
        return await AdminCli.RunAsync(app.Services, args, Console.Out, Console.Error);
    }

    // Before the database is touched, so a bad HTTP setting fails the start at once.
    app.UseStatsApiRequestLog();
    app.UseStatsApiHttp();
    await app.PrepareDatabaseAsync();

    app.UseAuthentication();
    app.UseStatsApiRateLimits();
    app.UseAuthorization();

    app.MapStatsApiDocs();
    app.MapHealth();
    app.MapTokenService();
    app.MapAttendance();
    app.MapSchools();
    app.MapUsers();
    app.MapCourses();
    app.MapLessons();
    app.MapMarks();
    app.MapApiTokens();
    app.MapClientAdmin();

    await app.RunAsync();
    return 0;
}

public partial class Program;
