using StatsApi.Tokens;

namespace StatsApi.OAuth;

/// <summary>RFC 6749 section 3.3: the scope a token request asks for, within what the token may be granted.</summary>
internal static class ScopeRequest
{
    /// <summary>
    /// The scopes asked for, or all that may be granted when the request names none; an empty scope, or one
    /// that may not be granted, is invalid_scope with <paramref name="notGranted"/> naming the refused ones.
    /// </summary>
    public static OAuthFailure? Choose(string? requested, IReadOnlyList<string> grantable, Func<string, string> notGranted,
        out IReadOnlyList<string> scopes)
    {
        scopes = grantable;
        if (requested is null)
        {
            return null;
        }
        var asked = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
        var refused = asked.Where(s => !grantable.Contains(s)).ToList();
        if (asked.Count == 0 || refused.Count > 0)
        {
            return new OAuthFailure(StatusCodes.Status400BadRequest, "invalid_scope",
                asked.Count == 0 ? "scope is empty." : notGranted(string.Join(' ', refused)));
        }
        scopes = asked;
        return null;
    }
}
