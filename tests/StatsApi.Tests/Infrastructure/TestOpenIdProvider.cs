using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// An OpenID provider over HTTPS on 127.0.0.1, as Keycloak and Entra ID serve one: discovery and a JWKS
/// under each issuer path, with a certificate of its own that only the tests trust.
/// </summary>
public sealed class TestOpenIdProvider : IAsyncLifetime
{
    private const string KeyId = "provider-rsa-1";
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate = LoopbackCertificate.Create();
    private WebApplication? _server;

    public string BaseAddress { get; private set; } = "";

    /// <summary>The issuer at a path, as Keycloak's realms/NAME or Entra ID's TENANT/v2.0.</summary>
    public string Issuer(string path) => $"{BaseAddress}/{path}";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_certificate)));
        _server = builder.Build();
        _server.MapGet("/{**path}", (string path) => path switch
        {
            _ when path.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal) =>
                Discovery(Issuer(path[..^"/.well-known/openid-configuration".Length])),
            _ when path.EndsWith("/keys", StringComparison.Ordinal) => Jwks(),
            _ => Results.NotFound(),
        });
        await _server.StartAsync();
        BaseAddress = _server.Urls.Single().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _certificate.Dispose();
        _key.Dispose();
    }

    private static IResult Discovery(string issuer) => Results.Text($$"""
        {
          "issuer": "{{issuer}}",
          "jwks_uri": "{{issuer}}/keys",
          "token_endpoint": "{{issuer}}/token",
          "response_types_supported": ["code"],
          "subject_types_supported": ["public"],
          "id_token_signing_alg_values_supported": ["RS256"]
        }
        """, "application/json");

    private IResult Jwks()
    {
        var parameters = _key.ExportParameters(false);
        return Results.Json(new Dictionary<string, object>
        {
            ["keys"] = new[]
            {
                new Dictionary<string, string>
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["kid"] = KeyId,
                    ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                    ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                },
            },
        });
    }

    /// <summary>A token signed with the provider's published key, typ JWT unless said otherwise.</summary>
    public string Sign(string issuer, IDictionary<string, object> claims, string audience = StatsApiFactory.Audience, string tokenType = "JWT")
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.AddSeconds(-1),
            NotBefore = now.AddSeconds(-1),
            Expires = now.AddMinutes(10),
            TokenType = tokenType,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>
    /// Makes the service's metadata and JWKS requests trust this provider's certificate, and only in
    /// this test: production keeps the system's trust store and its HTTPS requirement.
    /// </summary>
    public void TrustFrom(IServiceCollection services) =>
        services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options => options.BackchannelHttpHandler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, errors) => Trusts(presented, errors) },
        });

    private bool Trusts(X509Certificate? presented, SslPolicyErrors errors)
    {
        // The name must match; only the chain's anchor is this provider's certificate instead of a public CA.
        if (presented is not X509Certificate2 certificate || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
