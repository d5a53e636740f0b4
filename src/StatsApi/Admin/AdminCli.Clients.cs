using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Admin;

// The commands that manage API clients and the token signing key.
internal static partial class AdminCli
{
    private static NewClient NewClientFrom(CommandLine line)
    {
        line.Allow("name", "tier", "schools", "scopes");
        return new NewClient(line.Required("name"), line.Required("tier"), line.List("schools"), line.List("scopes"));
    }

    private static async Task<int> CreateClientAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var clients = services.GetRequiredService<ApiClients>();
        var request = NewClientFrom(line);
        var errors = await clients.ValidateAsync(request);
        if (errors.Count > 0)
        {
            throw new UsageException(string.Join(" ", errors.Select(e => $"--{e.Key}: {string.Join(" ", e.Value)}")));
        }
        var created = await clients.CreateAsync(request);
        WriteCredentials(output, line, created, "Created client");
        return 0;
    }

    private static async Task<int> ListClientsAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var clients = await services.GetRequiredService<ApiClients>().ListAsync();
        var text = clients.Count == 0
            ? "No clients are registered."
            : string.Join('\n', clients.Select(c =>
                $"{c.ClientId}  {c.Name}  tier={c.Tier}  schools={string.Join(',', c.Schools)}  scopes={string.Join(',', c.Scopes)}{(c.RevokedAt is null ? "" : "  REVOKED")}"));
        Write(output, line, clients, text);
        return 0;
    }

    private static async Task<int> RotateSecretAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var clientId = SingleClientId(line);
        var rotated = await services.GetRequiredService<ApiClients>().RotateSecretAsync(clientId);
        if (rotated is null)
        {
            error.WriteLine($"No active client has the id '{clientId}'.");
            return 1;
        }
        WriteCredentials(output, line, rotated, "New secret for client");
        return 0;
    }

    private static async Task<int> RevokeAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var clientId = SingleClientId(line);
        var revoked = await services.GetRequiredService<ApiClients>().RevokeAsync(clientId);
        if (revoked is null)
        {
            error.WriteLine($"No client has the id '{clientId}'.");
            return 1;
        }
        var bound = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Auth.AuthOptions>>().Value.RevocationRefreshSeconds;
        Write(output, line, revoked, $"Revoked client {revoked.ClientId} ({revoked.Name}): it gets no new token, and its tokens stop working within {bound} seconds (Auth:RevocationRefreshSeconds).");
        return 0;
    }

    private static async Task<int> RotateKeyAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var key = await services.GetRequiredService<SigningKeys>().RotateAsync();
        Write(output, line, new { kid = key.Kid, algorithm = key.Algorithm, created_at = key.CreatedAt },
            $"New signing key {key.Kid} ({key.Algorithm}) is published now and signs once every validator can know it (Tokens:KeyActivationDelaySeconds).");
        return 0;
    }

    private static string SingleClientId(CommandLine line)
    {
        line.Allow();
        return line.Positional.Count == 1 ? line.Positional[0] : throw new UsageException("Name exactly one CLIENT_ID.");
    }

    private static void WriteCredentials(TextWriter output, CommandLine line, ClientCredentials credentials, string heading)
    {
        var c = credentials.Client;
        Write(output, line,
            new { client_id = c.ClientId, client_secret = credentials.ClientSecret, name = c.Name, tier = c.Tier, schools = c.Schools, scopes = c.Scopes },
            $"""
            {heading} '{c.Name}' (tier {c.Tier}; schools {string.Join(", ", c.Schools)}; scopes {string.Join(" ", c.Scopes)}).
              client_id:     {c.ClientId}
              client_secret: {credentials.ClientSecret}
            Keep the secret now: it is stored only as a hash and cannot be shown again.
            """);
    }
}
