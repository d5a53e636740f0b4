using Npgsql;
using StatsApi.Tests.Infrastructure;
using StatsApi.Data;

namespace StatsApi.Tests;

public class ConstraintViolationTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Theory]
    [InlineData(PostgresErrorCodes.ForeignKeyViolation, "attendance_records_school_id_lesson_id_fkey", "reference_changed", "lesson_id")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "courses_school_id_code_key", "duplicate", "code")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "users_email", "duplicate", "email")]
    public async Task AConstraintTheDatabaseEnforcedIsA409NamingTheField(string sqlState, string constraint, string errorCode, string field)
    {
        var handler = app.Services.GetServices<Microsoft.AspNetCore.Diagnostics.IExceptionHandler>().OfType<ConstraintViolations>().Single();
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = app.Services };
        http.Response.Body = new MemoryStream();
        var violation = new PostgresException("violation", "ERROR", "ERROR", sqlState, constraintName: constraint);

        Assert.True(await handler.TryHandleAsync(http, violation, CancellationToken.None));

        Assert.Equal(409, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        var problem = await System.Text.Json.JsonDocument.ParseAsync(http.Response.Body);
        Assert.Equal(errorCode, problem.RootElement.GetProperty("error_code").GetString());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }
}
