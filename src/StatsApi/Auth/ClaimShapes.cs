using System.Text.Json;

namespace StatsApi.Auth;

/// <summary>
/// A signature proves who made a token, not that its claims have the shapes authorization relies on:
/// schools an array of strings, scopes in the form the configured claim uses, a client named.
/// </summary>
internal static class ClaimShapes
{
    public static string? ErrorOf(JsonElement payload, AuthOptions auth)
    {
        if (payload.TryGetProperty(auth.SchoolsClaim, out var schools) && !IsArrayOf(schools, _ => true))
        {
            return $"The {auth.SchoolsClaim} claim must be an array of strings.";
        }
        if (payload.TryGetProperty(auth.ScopeClaim, out var scopes))
        {
            // Scopes are split on spaces, so an array entry must be a single scope or it would grant several.
            var isString = scopes.ValueKind == JsonValueKind.String;
            var isArray = IsArrayOf(scopes, s => !s.Any(char.IsWhiteSpace));
            var error = auth.ScopeClaim switch
            {
                "scope" when !isString => "The scope claim must be a space-delimited string.",
                "scp" when !isString && !isArray => "The scp claim must be a space-delimited string or an array of single scopes.",
                "roles" when !isArray => "The roles claim must be an array of single scopes.",
                _ => null,
            };
            if (error is not null)
            {
                return error;
            }
        }
        // Rate limits and audit name the client: client_id (RFC 9068), azp (Keycloak, Entra ID v2) or appid (Entra ID v1).
        return HasString(payload, "client_id") || HasString(payload, "azp") || HasString(payload, "appid")
            ? null
            : "The token names no client: client_id, azp or appid is required.";
    }

    private static bool IsArrayOf(JsonElement value, Func<string, bool> isValid) =>
        value.ValueKind == JsonValueKind.Array &&
        value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && isValid(e.GetString()!));

    private static bool HasString(JsonElement payload, string claim) =>
        payload.TryGetProperty(claim, out var value) && value.ValueKind == JsonValueKind.String;
}
