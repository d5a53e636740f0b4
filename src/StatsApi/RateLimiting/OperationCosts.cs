namespace StatsApi.RateLimiting;

/// <summary>What an operation takes from its caller's cost quota: dearer the more work it makes the database do.</summary>
internal static class OperationCosts
{
    /// <summary>One object by its id, and every operation that names no other cost.</summary>
    public const int Lookup = 1;

    /// <summary>A page of a list.</summary>
    public const int ListPage = 2;

    /// <summary>The attendance summary: rollups over up to a year of days.</summary>
    public const int Summary = 5;

    /// <summary>A lesson's register: up to a thousand marks written at once.</summary>
    public const int Register = 10;

    public const int Highest = Register;

    /// <summary>The operation's cost, <see cref="Lookup"/> unless it says otherwise.</summary>
    public static TBuilder WithCost<TBuilder>(this TBuilder builder, int cost) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new OperationCost(cost));

    public static int Of(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<OperationCost>()?.Units ?? Lookup;
}

internal sealed record OperationCost(int Units);
