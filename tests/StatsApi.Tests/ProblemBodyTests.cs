using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using StatsApi.Http;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>
/// The refusals written directly (<see cref="ProblemBody"/>) answer the same status, content type, bytes
/// and error code as the problem details service wrote for them, whatever the path, ids and Accept.
/// </summary>
public class ProblemBodyTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    public static TheoryData<int, string, string, string, string?> Problems => new()
    {
        { 403, "school_not_approved", "The school is not approved for this client.", "The school_id in the request is not among the schools this token is approved for.", null },
        { 401, "missing_token", "Authentication is required.", "This operation needs an access token: send 'Authorization: Bearer <token>'.", null },
        { 401, "token_expired", "Authentication is required.", "The access token has expired; request a new one.", null },
        { 429, "rate_limited", "Too many requests.", "The free tier allows 60 requests in 60 seconds; retry after 7 seconds.", "The request quota is spent; retry after 7 seconds (Retry-After). The RateLimit header says what is left, RateLimit-Policy the quotas." },
        { 429, "quota_exceeded", "The cost quota is spent.", "Ünïcode \"quoted\" & <tagged> \u0001 é☃𝄞", "x-rate-limit-cost" },
    };

    private static readonly (string Path, string? Accept, bool Traced)[] Requests =
    [
        ("/stats/v1/attendance/summary", null, true),
        ("/v1/schools/é ü/<x>&'\"\\", "*/*", true),
        ("/stats/v1/attendance/summary", "application/json", false),
        ("", "application/problem+json", true),
        ("/v1/schools/oakwood-primary/users", "application/json, text/plain", true),
        ("/v1/schools/oakwood-primary/users", "text/html", false),
    ];

    [Theory]
    [MemberData(nameof(Problems))]
    public async Task EachRefusalIsTheSameAnswerAsTheProblemDetailsServiceWrote(int status, string errorCode, string title, string detail, string? developerMessage)
    {
        foreach (var (path, accept, traced) in Requests)
        {
            using var activity = traced ? new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start() : null;

            var direct = await AnswerAsync(path, accept, c => new ProblemBody(status, errorCode, title, detail, developerMessage).WriteAsync(c));
            var served = await AnswerAsync(path, accept, c => StatsApi.Http.Problems.Create(status, errorCode, title, detail, developerMessage).ExecuteAsync(c));

            Assert.Equal(served, direct);
        }
    }

    [Fact]
    public async Task ARefusedSchoolIsAnsweredWithTheRequestsOwnInstanceAndIds()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        var first = await client.GetAsync("/stats/v1/attendance/summary?school_id=ravenscroft-high&from=2026-09-01&to=2026-09-30");
        var second = await client.GetAsync("/stats/v1/attendance/summary?school_id=lakeside-academy&from=2026-09-01&to=2026-09-30");

        await first.AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
        var body = await second.AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
        Assert.Equal("/stats/v1/attendance/summary", body.GetProperty("instance").GetString());
        Assert.Equal(second.Headers.GetValues("X-Request-Id").Single(), body.GetProperty("request_id").GetString());
        Assert.NotEqual(first.Headers.GetValues("X-Request-Id").Single(), body.GetProperty("request_id").GetString());
    }

    private async Task<(int Status, string? ContentType, string Body, string? ErrorCode)> AnswerAsync(string path, string? accept, Func<HttpContext, Task> write)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, TraceIdentifier = "req-problem-1" };
        context.Request.Path = path;
        if (accept is not null)
        {
            context.Request.Headers.Accept = accept;
        }
        using var body = new MemoryStream();
        context.Response.Body = body;
        await write(context);
        await context.Response.BodyWriter.FlushAsync();
        return (context.Response.StatusCode, context.Response.ContentType, Encoding.UTF8.GetString(body.ToArray()), AnsweredError.Of(context));
    }
}
