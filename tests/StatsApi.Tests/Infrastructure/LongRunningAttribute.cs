namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// A test class that takes long on its own (a browser walking through pages, a host started per test):
/// its collection is started before the others, the longest first (<see cref="LongRunningFirst"/>), so
/// that it runs beside the many short ones rather than alone at the end of the run.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LongRunningAttribute(int seconds) : Attribute
{
    /// <summary>About how long the class took on a quiet two-core machine: only the order of these matters.</summary>
    public int Seconds { get; } = seconds;
}
