namespace StatsApi.Docs;

/// <summary>
/// What an endpoint does with HTTP headers and the database, declared where it is mapped, so the
/// contract states it (see <see cref="CommonResponses"/>) without an operation written out by hand.
/// </summary>
internal static class OperationDocs
{
    /// <summary>The resource has a version: ETag on its answers; If-Match (412 when stale) on its updates and deletes.</summary>
    public sealed record Versioned;

    /// <summary>A POST that honours Idempotency-Key.</summary>
    public sealed record Idempotent;

    /// <summary>A 201 names what it created in Location.</summary>
    public sealed record CreatesAtLocation;

    /// <summary>Answered from memory: no database outage reaches it.</summary>
    public sealed record FromMemory;

    /// <summary>A read whose answer carries an ETag to revalidate with: If-None-Match naming it answers 304 (the 304 result declares it).</summary>
    public sealed record Revalidated;

    public static TBuilder WithVersion<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Versioned());

    public static TBuilder WithIdempotencyKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Idempotent());

    public static TBuilder WithLocation<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CreatesAtLocation());

    public static TBuilder WithoutDatabase<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new FromMemory());
}
