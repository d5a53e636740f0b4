namespace StatsApi.Http;

/// <summary>
/// A contract type's example in the OpenAPI document, kept beside the type. Examples are taken from the demo
/// schools that scripts/run.sh loads, so that Try it out on the docs page answers with data.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class ExampleAttribute(string json) : Attribute
{
    public string Json { get; } = json;

    /// <summary>For a list's row type: the list's path, where the one-row example page continues.</summary>
    public string? NextPagePath { get; set; }

    /// <summary>For a list's row type: the example row's key as the list's cursor holds it (JSON).</summary>
    public string? NextPageKey { get; set; }
}

/// <summary>The values examples share: the demo school, an instant, a client's credentials, and an answer's request id.</summary>
internal static class ExampleValues
{
    public const string RequestId = "0af7651916cd43dd8448eb211c80319c";

    public const string School = "oakwood-primary";
    public const string Instant = "2026-08-20T09:12:44Z";
    public const string ClientId = "Qm8xT2vR4kLp9ZsW3nYb7HcJ5dFg1AeU";
    public const string ClientSecret = "Hq4Ld8Zt1Wm6Rc3Vp9Nk2Bx7Gs5Jf0YuEa4Ti8Ko";
}
