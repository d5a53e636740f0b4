using System.Diagnostics;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// Waits for a state by looking again, for as long as a busy machine may need: a count of attempts is a
/// time limit in disguise, and a machine under load spends it before the state arrives.
/// </summary>
public static class Poll
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>True once <paramref name="condition"/> holds; false if it never did within <see cref="Patience"/>.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return true;
            }
            if (waited.Elapsed > Patience)
            {
                return false;
            }
            await Task.Delay(100);
        }
    }
}
