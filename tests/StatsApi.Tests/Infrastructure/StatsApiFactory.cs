using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// The whole service over a database of its own, configured as a deployment would be. Tokens come
/// from the real token endpoint; nothing in the pipeline is bypassed.
/// </summary>
public class StatsApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string Issuer = "https://statsapi.test";
    public const string Audience = "statsapi";

    /// <summary>The TLS-terminating proxy the service is configured to believe.</summary>
    public const string ProxyAddress = "192.0.2.10";

    // Production runs with encrypted signing keys, and so do the tests.
    public static readonly string KeyEncryptionKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private readonly Dictionary<string, string?> _settings = new()
    {
        ["Tokens:KeyEncryptionKey"] = KeyEncryptionKey,
        // A rotated key signs at once, so rotation tests need not wait out the activation delay.
        ["Tokens:KeyActivationDelaySeconds"] = "0",
        // Quotas no test reaches by the requests it makes; the rate-limit tests set their own.
        ["RateLimits:Tiers:free:Requests"] = "1000000",
        ["RateLimits:Tiers:free:Cost"] = "1000000",
        ["RateLimits:Tiers:standard:Requests"] = "1000000",
        ["RateLimits:Tiers:standard:Cost"] = "1000000",
        ["RateLimits:Tiers:premium:Requests"] = "1000000",
        ["RateLimits:Tiers:premium:Cost"] = "1000000",
        ["RateLimits:TokenEndpoint:FailuresPerAddress"] = "1000000",
        ["RateLimits:TokenEndpoint:FailuresPerClient"] = "1000000",
    };

    private readonly List<Action<IServiceCollection>> _services = [];

    public string ConnectionString { get; protected set; } = "";

    /// <summary>Another instance of the service over the same database, as after a restart.</summary>
    public StatsApiFactory CreateRestarted(IDictionary<string, string?>? settings = null)
    {
        var restarted = new StatsApiFactory { ConnectionString = ConnectionString };
        foreach (var (key, value) in _settings.Concat(settings ?? new Dictionary<string, string?>()))
        {
            restarted._settings[key] = value;
        }
        restarted._services.AddRange(_services);
        return restarted;
    }

    public StatsApiFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Services that only the test provides, such as a log it reads or a certificate it trusts.</summary>
    /// <summary>Portal passwords hashed at the cost the service runs with, not the suite's lower one.</summary>
    public StatsApiFactory WithProductionPasswordHashing()
    {
        _productionPasswordHashing = true;
        return this;
    }

    private bool _productionPasswordHashing;

    public StatsApiFactory WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    public virtual async Task InitializeAsync()
    {
        if (ConnectionString.Length == 0)
        {
            ConnectionString = await TestPostgres.CreateDatabaseAsync();
        }
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Default"] = ConnectionString,
            ["Auth:Issuer"] = Issuer,
            ["Auth:Audience"] = Audience,
            // The test server speaks plain HTTP in process, as a service behind a TLS-terminating proxy does.
            ["Http:AllowPlainHttp"] = "true",
            ["Http:TrustedProxies:0"] = ProxyAddress,
        };
        foreach (var (key, value) in _settings)
        {
            settings[key] = value;
        }
        foreach (var (key, value) in settings)
        {
            // Host settings reach Program's builder.Configuration before its services are composed.
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            services.AddLogging(logging => logging.ClearProviders().AddProvider(Logs));
            if (!_productionPasswordHashing)
            {
                // Hashing a portal password at full cost takes tens of milliseconds of CPU, hundreds of times a run;
                // the hash is the same algorithm, so every behaviour is the same. PortalTests proves the full cost.
                services.Configure<PasswordHasherOptions>(options => options.IterationCount = 1_000);
            }
            _services.ForEach(configure => configure(services));
        });
    }

    /// <summary>What the service logged, in place of its JSON console.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>
    /// Clients speak as the proxy does: it received the request over HTTPS. TestServer requests carry no
    /// remote address, and forwarded headers are believed from such a connection as from a Unix socket;
    /// tests of who is believed set the address through Server.SendAsync.
    /// </summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
    }

    public NpgsqlDataSource DataSource => Services.GetRequiredService<NpgsqlDataSource>();

    /// <summary>Registers a client the way the admin command does.</summary>
    internal async Task<ClientCredentials> CreateClientAsync(string[] schools, string[]? scopes = null, string tier = "standard")
    {
        var clients = Services.GetRequiredService<ApiClients>();
        var request = new NewClient("Test client", tier, schools, scopes ?? [Scopes.AttendanceRead]);
        var errors = await clients.ValidateAsync(request);
        Assert.Empty(errors);
        return await clients.CreateAsync(request);
    }

    /// <summary>A token from the real token endpoint, with HTTP Basic client authentication.</summary>
    internal async Task<string> GetTokenAsync(ClientCredentials credentials, string? scope = null)
    {
        using var client = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["scope"] = scope ?? string.Join(' ', credentials.Client.Scopes),
            }),
        };
        request.Headers.Authorization = BasicAuth(credentials.Client.ClientId, credentials.ClientSecret);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>An HTTP client whose requests carry a fresh token for a new client of these schools.</summary>
    public async Task<HttpClient> CreateClientForSchoolsAsync(params string[] schools)
    {
        var token = await GetTokenAsync(await CreateClientAsync(schools));
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>An HTTP client whose requests carry a fresh token for a new client of these schools and scopes.</summary>
    public async Task<HttpClient> CreateClientWithScopesAsync(string[] schools, params string[] scopes)
    {
        var token = await GetTokenAsync(await CreateClientAsync(schools, scopes));
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// A token signed with the service's real current key but with claims of the test's choosing:
    /// how the attacks that need a valid signature on a bad token are built.
    /// </summary>
    public async Task<string> SignWithServiceKeyAsync(IDictionary<string, object> claims, string? tokenType = "at+jwt",
        DateTime? expires = null, DateTime? notBefore = null, string issuer = Issuer, string audience = Audience)
    {
        var credentials = await Services.GetRequiredService<SigningKeys>().GetSigningCredentialsAsync();
        // The service's own clock, which a test may move: a token's times are read against it.
        var now = Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = (notBefore ?? now).AddSeconds(-1),
            NotBefore = notBefore ?? now.AddSeconds(-1),
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = credentials,
            Claims = claims,
        };
        if (tokenType is not null)
        {
            descriptor.TokenType = tokenType;
        }
        return handler.CreateToken(descriptor);
    }

    public static Dictionary<string, object> ClientClaims(params string[] schools) => new()
    {
        ["sub"] = "testclient",
        ["client_id"] = "testclient",
        ["tier"] = "standard",
        ["schools"] = schools,
        ["scope"] = Scopes.AttendanceRead,
        ["jti"] = Guid.NewGuid().ToString("N"),
    };

    public static AuthenticationHeaderValue BasicAuth(string id, string secret) =>
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}")));
}
