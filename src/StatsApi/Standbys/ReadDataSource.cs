using Npgsql;

namespace StatsApi.Standbys;

/// <summary>
/// Where one request's reads go: the primary, unless the operation reads on a standby
/// (<see cref="StandbyReads.ReadsOnStandby"/>) and <see cref="ReadRouting"/> sent this request there.
/// </summary>
internal sealed class ReadDataSource(NpgsqlDataSource primary)
{
    private NpgsqlDataSource? _standby;

    private NpgsqlDataSource Source => _standby ?? primary;

    /// <summary>Whether this request reads on a standby (Npgsql takes the primary when no standby answers).</summary>
    public bool OnStandby => _standby is not null;

    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => Source.OpenConnectionAsync(cancellationToken);

    /// <summary>A write that goes with the read, such as its audit record: on the primary, through the read's own connection when it is there.</summary>
    public async Task WriteAsync(NpgsqlConnection readConnection, Func<NpgsqlConnection, Task> write, CancellationToken cancellationToken)
    {
        if (!OnStandby)
        {
            await write(readConnection);
            return;
        }
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        await write(connection);
    }

    internal void UseStandby(NpgsqlDataSource standby) => _standby = standby;

    internal void UsePrimary() => _standby = null;
}
