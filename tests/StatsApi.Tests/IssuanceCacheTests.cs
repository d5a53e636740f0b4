using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.IdentityModel.JsonWebTokens;
using StatsApi.Clients;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// Entries live an hour here, far beyond the tests' patience: only a notification, or the loss of the
/// listener's connection, can make an instance read a client or a key afresh in time.
/// </summary>
public sealed class LongIssuanceCacheFactory : StatsApiFactory
{
    public LongIssuanceCacheFactory() => With("Tokens:IssuanceCacheSeconds", "3600");
}

/// <summary>What an instance keeps of the clients and the signing key between tokens (decision 0017), and what empties it.</summary>
public class IssuanceCacheTests(LongIssuanceCacheFactory app) : IClassFixture<LongIssuanceCacheFactory>
{
    [Fact]
    public async Task AClientRevokedOnOneInstanceGetsNoTokenFromTheOther()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        await using var other = app.CreateRestarted();
        await WarmAsync(app, credentials);
        await WarmAsync(other, credentials);

        await other.Services.GetRequiredService<ApiClients>().RevokeAsync(credentials.Client.ClientId);

        Assert.True(await Poll.UntilAsync(async () =>
            (await PostTokenAsync(app, credentials.Client.ClientId, credentials.ClientSecret)).StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostTokenAsync(other, credentials.Client.ClientId, credentials.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task ASecretRotatedOnOneInstanceStopsTheOldSecretOnTheOther()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        await using var other = app.CreateRestarted();
        await WarmAsync(app, credentials);

        var rotated = await other.Services.GetRequiredService<ApiClients>().RotateSecretAsync(credentials.Client.ClientId);

        Assert.True(await Poll.UntilAsync(async () =>
            (await PostTokenAsync(app, credentials.Client.ClientId, credentials.ClientSecret)).StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.OK, (await PostTokenAsync(app, credentials.Client.ClientId, rotated!.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task AKeyRotatedOnOneInstanceSignsTheOthersNextTokens()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        await using var other = app.CreateRestarted();
        await WarmAsync(app, credentials);
        var before = await KidOfNextTokenAsync(app, credentials);

        var next = await other.Services.GetRequiredService<SigningKeys>().RotateAsync();

        Assert.NotEqual(before, next.Kid);
        Assert.True(await Poll.UntilAsync(async () => await KidOfNextTokenAsync(app, credentials) == next.Kid));
    }

    [Fact]
    public async Task AWrongSecretIsRefusedWithTheClientsRowHeld()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        await WarmAsync(app, credentials);

        var wrong = await PostTokenAsync(app, credentials.Client.ClientId, credentials.ClientSecret[..^1] + (credentials.ClientSecret[^1] == 'x' ? "y" : "x"));
        var right = await PostTokenAsync(app, credentials.Client.ClientId, credentials.ClientSecret);

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid_client", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task AnInstanceWhoseListenerLosesItsConnectionForgetsWhatItHeld()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        await WarmAsync(app, credentials);
        // A revocation nobody hears: the triggers do not fire in a replica's session.
        await using (var connection = await app.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("set local session_replication_role = replica", transaction: transaction);
            await connection.ExecuteAsync("update api_clients set revoked_at = now() where client_id = @id",
                new { id = credentials.Client.ClientId }, transaction);
            await transaction.CommitAsync();
        }
        var unheard = await PostTokenAsync(app, credentials.Client.ClientId, credentials.ClientSecret);

        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "select pg_terminate_backend(pid) from pg_stat_activity where application_name = @name and datname = current_database()",
                new { name = IssuanceListener.ApplicationName });
        }

        Assert.Equal(HttpStatusCode.OK, unheard.StatusCode);
        Assert.True(await Poll.UntilAsync(async () =>
            (await PostTokenAsync(app, credentials.Client.ClientId, credentials.ClientSecret)).StatusCode == HttpStatusCode.Unauthorized));
    }

    /// <summary>Until the instance's listener is connected nothing is kept; this waits for a token issued from what it holds.</summary>
    private static async Task WarmAsync(StatsApiFactory instance, ClientCredentials credentials)
    {
        var cache = instance.Services.GetRequiredService<IssuanceCache>();
        var keys = instance.Services.GetRequiredService<SigningKeys>();
        Assert.True(await Poll.UntilAsync(async () =>
        {
            var response = await PostTokenAsync(instance, credentials.Client.ClientId, credentials.ClientSecret);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return cache.TryGet(credentials.Client.ClientId, keys.Rotations, out _, out _);
        }));
    }

    private static async Task<string?> KidOfNextTokenAsync(StatsApiFactory instance, ClientCredentials credentials)
    {
        var response = await PostTokenAsync(instance, credentials.Client.ClientId, credentials.ClientSecret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new JsonWebToken(body.GetProperty("access_token").GetString()).Kid;
    }

    private static Task<HttpResponseMessage> PostTokenAsync(StatsApiFactory instance, string id, string secret)
    {
        var client = instance.CreateClient();
        client.DefaultRequestHeaders.Authorization = StatsApiFactory.BasicAuth(id, secret);
        return client.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }));
    }
}
