using Microsoft.IdentityModel.Tokens;

namespace StatsApi.Auth;

/// <summary>A token whose claims do not have the shapes authorization relies on; its message is safe to show.</summary>
internal sealed class TokenClaimShapeException(string message) : SecurityTokenValidationException(message);

/// <summary>A token refused for what it stands for rather than its form: a revoked client, person or API token, a missing client secret.</summary>
internal sealed class TokenRefusedException(string kind, string errorCode, string message) : SecurityTokenValidationException(message)
{
    public string Kind { get; } = kind;

    public string ErrorCode { get; } = errorCode;
}

/// <summary>Why a token was refused, in words fixed here: IdentityModel's own messages stay in the log.</summary>
internal sealed record TokenFailure(string Kind, string ErrorCode, string Description)
{
    public const string Expired = "token_expired";
    public const string Invalid = "invalid_token";

    // Clients branch on error_code, and only an expired token has a remedy the client applies by itself
    // (fetching a new one); every other kind stays invalid_token, and the description names it.
    public static TokenFailure From(Exception failure) => failure switch
    {
        SecurityTokenExpiredException => new("expired", Expired, "The access token has expired; request a new one."),
        SecurityTokenNotYetValidException => new("not_yet_valid", Invalid, "The access token is not valid yet: its nbf is in the future."),
        SecurityTokenNoExpirationException => new("no_expiration", Invalid, "The access token has no exp claim."),
        SecurityTokenInvalidLifetimeException => new("invalid_lifetime", Invalid, "The access token's lifetime is invalid."),
        SecurityTokenSignatureKeyNotFoundException => new("unknown_key", Invalid, "No key this service trusts matches the access token's kid."),
        SecurityTokenInvalidAlgorithmException => new("algorithm", Invalid, "The access token is signed with an algorithm this service does not accept."),
        SecurityTokenInvalidSignatureException => new("bad_signature", Invalid, "The access token's signature is missing or does not verify."),
        SecurityTokenInvalidAudienceException => new("wrong_audience", Invalid, "The access token is meant for another audience."),
        SecurityTokenInvalidIssuerException => new("wrong_issuer", Invalid, "The access token comes from an issuer this service does not accept."),
        SecurityTokenInvalidTypeException => new("wrong_type", Invalid, "The access token's typ header is not a type this service accepts."),
        TokenClaimShapeException shape => new("claim_shape", Invalid, shape.Message),
        TokenRefusedException refused => new(refused.Kind, refused.ErrorCode, refused.Message),
        SecurityTokenMalformedException or ArgumentException => new("malformed", Invalid, "The access token is not a well-formed signed JWT."),
        _ => new("other", Invalid, "The access token is invalid."),
    };
}
