using System.Collections.Concurrent;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// Hosts a test class's tests share when each test only sends requests that the host's settings decide:
/// a host start costs about a second of CPU, and such tests learn nothing from a fresh one.
/// </summary>
public sealed class SharedHosts : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<StatsApiFactory>> _hosts = new();

    /// <summary>The host made under this name, made now by <paramref name="create"/> if it is the first ask.</summary>
    public StatsApiFactory Get(string name, Func<StatsApiFactory> create) =>
        _hosts.GetOrAdd(name, _ => new Lazy<StatsApiFactory>(create)).Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts.Values.Where(host => host.IsValueCreated))
        {
            await host.Value.DisposeAsync();
        }
    }
}
