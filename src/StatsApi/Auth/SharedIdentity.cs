using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace StatsApi.Auth;

/// <summary>
/// The identity of a validated token, shared by every request that sends the same token instead of a
/// copy per request (a dozen claims copied for every request that sent a cached token). Sharing is safe only
/// because it cannot be changed: adding or removing a claim throws, so nothing one request does to its
/// principal can reach another. Code that needs a changed identity takes <see cref="Clone"/>, which
/// is its own.
/// </summary>
internal sealed class SharedIdentity : CaseSensitiveClaimsIdentity
{
    private readonly bool _sealed;

    public SharedIdentity(ClaimsIdentity validated)
        : base(validated.Claims, validated.AuthenticationType, validated.NameClaimType, validated.RoleClaimType)
    {
        _sealed = true;
    }

    public override void AddClaim(Claim claim) => Refuse();

    public override void AddClaims(IEnumerable<Claim?> claims) => Refuse();

    public override void RemoveClaim(Claim? claim) => Refuse();

    public override bool TryRemoveClaim(Claim? claim)
    {
        Refuse();
        return false;
    }

    public override ClaimsIdentity Clone() =>
        new CaseSensitiveClaimsIdentity(Claims, AuthenticationType, NameClaimType, RoleClaimType);

    private void Refuse()
    {
        if (_sealed)
        {
            throw new InvalidOperationException("A validated token's identity is shared by its requests: clone it to change it.");
        }
    }
}
