namespace StatsApi.PersonTokens;

/// <summary>
/// A person as the exchange finds them through one of their API tokens; Generation is theirs in the
/// revocations, carried by the tokens issued for them.
/// </summary>
internal sealed record Person(string SchoolId, long UserId, string Role, bool Active, long TokenId, long Generation);
