using StatsApi.Admin;
using StatsApi.Attendance;
using StatsApi.Auth;
using StatsApi.Courses;
using StatsApi.Configuration;
using StatsApi.Data;
using StatsApi.Http;
using StatsApi.Lessons;
using StatsApi.PersonTokens;
using StatsApi.RateLimiting;
using StatsApi.Schools;
using StatsApi.Telemetry;
using StatsApi.Tokens;
using StatsApi.Users;
using StatsApi.Writes;

// Serves the API, or runs an admin command; the arguments, exit codes and failures are the executable's (Admin/).
return await Executable.RunAsync(args, Compose, ServeAsync);

// What the server and the admin commands share: each part of the service adds its own services.
static void Compose(WebApplicationBuilder builder, bool isCommand)
{
    builder.AddStatsApiLogging(isCommand);
    builder.AddStatsApiTelemetry();
    builder.AddStatsApiHttp();
    builder.AddStatsApiData();
    builder.AddStatsApiTokens();
    builder.AddStatsApiAuth();
    builder.AddStatsApiDocs();
    builder.AddStatsApiRateLimits();
    builder.AddStatsApiWrites();
    builder.AddStatsApiAttendance();
    builder.AddStatsApiSettingsValidation();
}

static async Task ServeAsync(WebApplication app)
{
    // Before the database is touched, so a bad HTTP setting fails the start at once.
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
}

public partial class Program;
