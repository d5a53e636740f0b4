namespace StatsApi.Http;

/// <summary>WWW-Authenticate challenges: one realm for every scheme the service answers with.</summary>
internal static class Challenges
{
    /// <summary>RFC 6750: followed by error, error_description and scope where the request carried a token.</summary>
    public const string Bearer = "Bearer realm=\"statsapi\"";

    /// <summary>RFC 6749 section 5.2 and RFC 7617: the token endpoint's client authentication.</summary>
    public const string Basic = "Basic realm=\"statsapi\", charset=\"UTF-8\"";
}
