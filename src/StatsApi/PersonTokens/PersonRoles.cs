using StatsApi.Tokens;
using StatsApi.Users;

namespace StatsApi.PersonTokens;

/// <summary>The claims a person's token adds to a client's, and what each role may be granted.</summary>
public static class PersonClaims
{
    public const string Role = "role";

    /// <summary>The API token the access token was exchanged for, so deleting it stops the access token too.</summary>
    public const string ApiToken = "api_token_id";

    /// <summary>
    /// Binds the token to the client secret it was exchanged with: every request must present that secret
    /// again. A truncated hash of the stored hash: it says nothing usable about a 238-bit secret.
    /// </summary>
    public const string ClientSecretBinding = "client_secret_binding";

    public static string BindingOf(string clientSecret) => BindingOfStoredHash(Tokens.ClientSecrets.Hash(clientSecret));

    public static string BindingOfStoredHash(byte[] storedHash) =>
        Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(storedHash).AsSpan(0, 16).ToArray());

    public static bool SecretMatches(string? presented, string? binding) =>
        presented is { Length: > 0 and <= 100 } && binding is not null &&
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(BindingOf(presented)), System.Text.Encoding.ASCII.GetBytes(binding));
}

/// <summary>
/// A person as the exchange finds them through one of their API tokens; Generation is theirs in the
/// revocations, carried by the tokens issued for them.
/// </summary>
public sealed record Person(string SchoolId, long UserId, string Role, bool Active, long TokenId, long Generation);

public static class PersonRoles
{
    private static readonly Dictionary<string, string[]> Granted = new(StringComparer.Ordinal)
    {
        // A school admin runs the school: everything but the platform's own administration.
        [Roles.Admin] = Scopes.All.Where(s => s != Scopes.Admin).ToArray(),
        // A teacher reads the school and keeps the timetable and registers of their own courses.
        [Roles.Teacher] = [Scopes.SchoolsRead, Scopes.UsersRead, Scopes.CoursesRead, Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.AttendanceRead, Scopes.AttendanceWrite],
        // A student reads their own profile, lessons and attendance.
        [Roles.Student] = [Scopes.SchoolsRead, Scopes.UsersRead, Scopes.CoursesRead, Scopes.LessonsRead, Scopes.AttendanceRead],
    };

    /// <summary>The client's scopes narrowed to what the role may hold.</summary>
    public static IReadOnlyList<string> Narrow(IEnumerable<string> clientScopes, string role) =>
        Granted.TryGetValue(role, out var allowed) ? clientScopes.Where(allowed.Contains).ToList() : [];
}
