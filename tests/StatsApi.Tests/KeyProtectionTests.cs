using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Dapper;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public sealed class EncryptedKeysFactory : StatsApiFactory
{
    public EncryptedKeysFactory() => With("Tokens:KeyEncryptionKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
}

public class KeyProtectionTests(EncryptedKeysFactory app) : IClassFixture<EncryptedKeysFactory>
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
