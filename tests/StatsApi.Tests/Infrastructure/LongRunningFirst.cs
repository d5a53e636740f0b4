using System.Reflection;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("StatsApi.Tests.Infrastructure.LongRunningFirst", "StatsApi.Tests")]

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// Starts the collections of <see cref="LongRunningAttribute"/> classes first, the longest first, and the
/// rest after them in xunit's own order. The longest class sets the floor of a run's time; started late,
/// it adds the most of its length to the end.
/// </summary>
public sealed class LongRunningFirst : ITestCollectionOrderer
{
    // xunit's name for the collection it makes of a class with no [Collection] of its own.
    private const string PerClass = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(Seconds);

    private static int Seconds(ITestCollection collection) =>
        collection.DisplayName.StartsWith(PerClass, StringComparison.Ordinal)
        && typeof(LongRunningFirst).Assembly.GetType(collection.DisplayName[PerClass.Length..]) is { } type
        && type.GetCustomAttribute<LongRunningAttribute>() is { } longRunning
            ? longRunning.Seconds
            : 0;
}
