using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Dapper;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public sealed class PlainKeysFactory : StatsApiFactory
{
    public PlainKeysFactory() => With("Tokens:KeyEncryptionKey", "");
}

public class KeyProtectionTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public async Task WithAKeyEncryptionKeyPrivateKeysAreStoredEncryptedAndStillSign()
    {
        var token = await app.GetTokenAsync(await app.CreateClientAsync(["oakwood-primary"]));

        await using var connection = await app.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(string Protection, byte[] PrivateKey)>("select protection, private_key from signing_keys")).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, row =>
        {
            Assert.Equal("aes-256-gcm", row.Protection);
            using var ec = ECDsa.Create();
            Assert.ThrowsAny<CryptographicException>(() => ec.ImportPkcs8PrivateKey(row.PrivateKey, out _));
        });

        await using var restarted = app.CreateRestarted();
        var client = restarted.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await restarted.GetTokenAsync(await restarted.CreateClientAsync(["oakwood-primary"])));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30")).StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30")).StatusCode);
    }
}

public class UnencryptedKeyTests(PlainKeysFactory app) : IClassFixture<PlainKeysFactory>
{
    [Fact]
    public async Task WithoutAKeyEncryptionKeyKeysAreStoredAsPkcs8AndStillSign()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30")).StatusCode);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.Equal(["none"], await connection.QueryAsync<string>("select distinct protection from signing_keys"));
    }
}

public class KeyEncryptionUpgradeTests(PlainKeysFactory app) : IClassFixture<PlainKeysFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task KeysStoredPlainAreEncryptedWhenAKeyEncryptionKeyIsConfiguredAndTheirTokensStillValidate()
    {
        var plainToken = await app.GetTokenAsync(await app.CreateClientAsync(["oakwood-primary"]));
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.Equal(["none"], await connection.QueryAsync<string>("select distinct protection from signing_keys where retired_at is null"));

        await using var restarted = app.CreateRestarted(new Dictionary<string, string?>
        {
            ["Tokens:KeyEncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        var client = restarted.CreateClient();

        var rows = (await connection.QueryAsync<(string Protection, byte[] PrivateKey)>(
            "select protection, private_key from signing_keys where retired_at is null")).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, row =>
        {
            Assert.Equal("aes-256-gcm", row.Protection);
            using var ec = ECDsa.Create();
            Assert.ThrowsAny<CryptographicException>(() => ec.ImportPkcs8PrivateKey(row.PrivateKey, out _));
        });
        foreach (var token in new[] { plainToken, await restarted.GetTokenAsync(await restarted.CreateClientAsync(["oakwood-primary"])) })
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);
        }
    }
}
