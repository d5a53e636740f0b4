using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Microsoft.IdentityModel.JsonWebTokens;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// Two instances of the service on one PostgreSQL and one Redis, requests alternating between them: no
/// answer depends on which instance gives it, beyond the documented bounds (revocations and key
/// reloads). That the two share one rate-limit quota is SharedRateLimitTests' to show.
/// </summary>
[LongRunning(7)]
public class StatelessInstancesTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Summary = $"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-09-30";

    // Bounds short enough to wait out: revocations and key reloads every second.
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Redis:Configuration"] = TestRedis.Configuration,
        ["Auth:RevocationRefreshSeconds"] = "1",
        ["Tokens:KeyRefreshSeconds"] = "1",
    };

    private static HttpClient Bearer(StatsApiFactory instance, string token)
    {
        var client = instance.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task ATokenMintedByOneInstanceReadsTheSummaryOnTheOther()
    {
        await using var a = app.CreateRestarted(Fast);
        await using var b = app.CreateRestarted(Fast);
        var credentials = await app.CreateClientAsync([School]);

        var fromA = await a.GetTokenAsync(credentials);
        var fromB = await b.GetTokenAsync(credentials);

        var onB = await Bearer(b, fromA).GetAsync(Summary);
        var onA = await Bearer(a, fromB).GetAsync(Summary);
        Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onA.StatusCode);
        Assert.Equal((await onA.JsonAsync()).GetProperty("totals").ToString(), (await onB.JsonAsync()).GetProperty("totals").ToString());
    }

    [Fact]
    public async Task APostAnsweredByOneInstanceAndRetriedOnTheOtherIsAnsweredAlikeAndWrittenOnce()
    {
        await using var a = app.CreateRestarted(Fast);
        await using var b = app.CreateRestarted(Fast);
        var credentials = await app.CreateClientAsync([School], [Scopes.LessonsRead, Scopes.LessonsWrite]);
        long course;
        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            course = await connection.ExecuteScalarAsync<long>(
                "select course_id from courses where school_id = @School and teacher_id is not null order by course_id limit 1", new { School });
        }
        var key = Guid.NewGuid().ToString();
        var room = "R" + key[..6];
        async Task<HttpResponseMessage> PostAsync(StatsApiFactory instance)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/schools/{School}/lessons")
            {
                Content = JsonContent.Create(new { course_id = course, starts_at = "2026-12-01T09:00:00Z", ends_at = "2026-12-01T09:50:00Z", room }),
            };
            request.Headers.Add("Idempotency-Key", key);
            return await Bearer(instance, await instance.GetTokenAsync(credentials)).SendAsync(request);
        }

        var first = await PostAsync(a);
        var retried = await PostAsync(b);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retried.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, retried.Headers.Location);
        Assert.Equal(first.Headers.ETag, retried.Headers.ETag);
        Assert.Equal("true", retried.Headers.GetValues("Idempotent-Replayed").Single());
        await using var check = await app.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("select count(*) from lessons where school_id = @School and room = @room", new { School, room }));
        Assert.Equal(1, await check.ExecuteScalarAsync<int>(
            "select count(*) from audit_events where school_id = @School and action = 'create' and object_type = 'lesson' and object_id = @id",
            new { School, id = (await first.JsonAsync()).GetProperty("lesson_id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    [Fact]
    public async Task AKeyRotatedWithTheAdminCommandSignsTokensBothInstancesAcceptAtOnce()
    {
        await using var a = app.CreateRestarted(Fast);
        await using var b = app.CreateRestarted(Fast);
        var credentials = await app.CreateClientAsync([School]);
        var before = await a.GetTokenAsync(credentials);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(b, before).GetAsync(Summary)).StatusCode);

        var rotated = await StatsApiProcess.RunAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Default"] = app.ConnectionString,
            ["Tokens__KeyEncryptionKey"] = StatsApiFactory.KeyEncryptionKey,
        }, "keys", "rotate", "--json");
        Assert.True(rotated.Exit == 0, rotated.Error);
        var kid = System.Text.Json.JsonDocument.Parse(rotated.Output).RootElement.GetProperty("kid").GetString();

        // No activation delay here: the instance that issues signs with the new key at once, and the
        // other meets a kid it has not loaded on its very first request.
        var after = await a.GetTokenAsync(credentials);
        Assert.Equal(kid, new JsonWebToken(after).Kid);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(b, after).GetAsync(Summary)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(a, after).GetAsync(Summary)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(b, before).GetAsync(Summary)).StatusCode);
    }

    [Fact]
    public async Task AKeyRetiredThroughOneInstanceStopsItsTokensOnBothWithinTheKeyReload()
    {
        await using var a = app.CreateRestarted(Fast);
        await using var b = app.CreateRestarted(Fast);
        var credentials = await app.CreateClientAsync([School]);
        var old = await a.GetTokenAsync(credentials);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(a, old).GetAsync(Summary)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(b, old).GetAsync(Summary)).StatusCode);

        // Three rotations retire the key that signed it: the JWKS keeps only the three newest.
        var keys = a.Services.GetRequiredService<SigningKeys>();
        for (var i = 0; i < 3; i++)
        {
            await keys.RotateAsync();
        }
        var fresh = await a.GetTokenAsync(credentials);

        await (await Bearer(a, old).GetAsync(Summary)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        await AssertRefusedWithinAsync(Bearer(b, old), "invalid_token", TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.OK, (await Bearer(b, fresh).GetAsync(Summary)).StatusCode);
    }

    [Fact]
    public async Task AClientRevokedThroughOneInstanceIsRefusedByTheOtherWithinTheRevocationBound()
    {
        await using var a = app.CreateRestarted(Fast);
        await using var b = app.CreateRestarted(Fast);
        var admin = Bearer(a, await a.GetTokenAsync(await app.CreateClientAsync([], [Scopes.Admin])));
        var integrator = await app.CreateClientAsync([School]);
        var token = await a.GetTokenAsync(integrator);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(b, token).GetAsync(Summary)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/admin/clients/{integrator.Client.ClientId}/revoke", null)).StatusCode);

        await AssertRefusedWithinAsync(Bearer(b, token), "token_revoked", TimeSpan.FromSeconds(5));
        await AssertRefusedWithinAsync(Bearer(a, token), "token_revoked", TimeSpan.FromSeconds(5));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = StatsApiFactory.BasicAuth(integrator.Client.ClientId, integrator.ClientSecret);
        await (await b.CreateClient().SendAsync(request)).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }

    private static async Task AssertRefusedWithinAsync(HttpClient client, string errorCode, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        HttpResponseMessage response;
        do
        {
            response = await client.GetAsync(Summary);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                await response.AssertProblemAsync(HttpStatusCode.Unauthorized, errorCode);
                return;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"Still {(int)response.StatusCode} {bound.TotalSeconds} s later.");
    }
}
