using StatsApi.Admin;
using StatsApi.Attendance;
using StatsApi.Auth;
using StatsApi.Changes;
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
using StatsApi.Portal;
using StatsApi.Privacy;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
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
    builder.AddStatsApiReads();
    builder.AddStatsApiHealth();
    builder.AddStatsApiTokens();
    builder.AddStatsApiOAuth();
    builder.AddStatsApiAuth();
    builder.AddStatsApiDocs();
    builder.AddStatsApiRateLimits();
    builder.AddStatsApiWrites();
    builder.AddStatsApiPrivacy();
    builder.AddStatsApiAttendance();
    builder.AddStatsApiChanges();
    builder.AddStatsApiPortal();
}

static async Task ServeAsync(WebApplication app)
{
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
    app.MapMarkExport();
    app.MapChanges();
    app.MapApiTokens();
    app.MapPrivacy();
    app.MapClientAdmin();
    app.MapPortal();

    await app.RunAsync();
}

public partial class Program;
