using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StatsApi.Data;

namespace StatsApi.Standbys;

/// <summary>
/// Asks every host of the connection string, about once a second, whether it is the primary or a
/// standby, and how far each standby's replay is behind the primary. Reads may go to the standbys only
/// while every standby is known to be within Database:MaxReplicaLagSeconds: one further behind, or one
/// that does not answer (it may come back far behind), sends reads to the primary. What it knows ages:
/// were the hosts to stop answering, the standbys stop serving reads by themselves once they could be
/// that far behind.
/// </summary>
internal sealed class StandbyMonitor : BackgroundService
{
    private const int AnswerTimeoutSeconds = 2;

    // A standby is caught up when it has replayed all the primary had written when asked; otherwise it is
    // as far behind as the last transaction it replayed, which on a paused or stalled replay keeps growing.
    private const string Question = """
        select pg_is_in_recovery(),
               case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end,
               pg_last_wal_receive_lsn(),
               extract(epoch from now() - pg_last_xact_replay_timestamp())::float8
        """;

    private readonly Host[] _hosts;
    private readonly double _maxLagSeconds;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger<StandbyMonitor> _logger;
    private long _readableUntil = long.MinValue;

    public StandbyMonitor(string connectionString, IOptions<DatabaseOptions> options, TimeProvider time, ILogger<StandbyMonitor> logger)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        _hosts = [.. settings.Host!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(host => new Host(host, NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
            {
                Host = host,
                TargetSessionAttributes = null,
                LoadBalanceHosts = false,
                Multiplexing = false,
                Pooling = true,
                MinPoolSize = 0,
                MaxPoolSize = 1,
                Timeout = AnswerTimeoutSeconds,
                CommandTimeout = AnswerTimeoutSeconds,
            })))];
        _maxLagSeconds = options.Value.MaxReplicaLagSeconds;
        // Several answers within the bound, so that a standby that keeps up is never dropped between two.
        _interval = TimeSpan.FromSeconds(Math.Min(1, _maxLagSeconds / 4));
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether a read may go to a standby now: one at least answers, and every one is within the bound.</summary>
    public bool StandbysReadable => _time.GetTimestamp() < Volatile.Read(ref _readableUntil);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            do
            {
                await PollAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        foreach (var host in _hosts)
        {
            host.Source.Dispose();
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var asked = _time.GetTimestamp();
        var answers = await Task.WhenAll(_hosts.Select(host => AskAsync(host, cancellationToken)));
        var primary = answers.FirstOrDefault(a => a is { Standby: false })?.Position;
        var readableUntil = long.MaxValue;
        var standbys = 0;
        for (var i = 0; i < _hosts.Length; i++)
        {
            var host = _hosts[i];
            if (answers[i] is not { } answer)
            {
                // A primary that went away sends no read to a standby that is behind; any other host might.
                if (host.WasStandby != false)
                {
                    readableUntil = long.MinValue;
                }
                continue;
            }
            host.WasStandby = answer.Standby;
            if (!answer.Standby)
            {
                continue;
            }
            standbys++;
            var lag = LagOf(answer, primary);
            var margin = _maxLagSeconds - lag;
            ReportLag(host, lag, margin >= 0);
            readableUntil = margin < 0 ? long.MinValue : Math.Min(readableUntil, asked + (long)(margin * _time.TimestampFrequency));
        }
        Volatile.Write(ref _readableUntil, standbys == 0 ? long.MinValue : readableUntil);
    }

    // Seconds of commits the standby may lack. Without the primary's position (it does not answer), a
    // standby that replayed all it received lacks nothing it could have had.
    private static double LagOf(Answer standby, NpgsqlLogSequenceNumber? primary)
    {
        var caughtUp = primary is { } written
            ? standby.Position >= written
            : standby.Position is { } replayed && (standby.Received is not { } received || replayed >= received);
        return caughtUp ? 0 : standby.SecondsSinceReplay ?? double.PositiveInfinity;
    }

    private async Task<Answer?> AskAsync(Host host, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await host.Source.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(Question, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var answer = new Answer(
                reader.GetBoolean(0),
                reader.IsDBNull(1) ? null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(2),
                reader.IsDBNull(3) ? null : reader.GetDouble(3));
            if (!host.Answering)
            {
                host.Answering = true;
                _logger.LogInformation("Database host {Host} answers again", host.Name);
            }
            return answer;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (host.Answering)
            {
                host.Answering = false;
                _logger.LogWarning("Database host {Host} does not answer ({Failure}: {Message}); no read goes to a standby until it does, unless it was the primary",
                    host.Name, ex.GetType().Name, ex.Message);
            }
            return null;
        }
    }

    private void ReportLag(Host host, double lag, bool within)
    {
        if (within == host.WithinLag)
        {
            return;
        }
        host.WithinLag = within;
        if (within)
        {
            _logger.LogInformation("Standby {Host} is within Database:MaxReplicaLagSeconds again", host.Name);
        }
        else
        {
            _logger.LogWarning("Standby {Host} is {Lag} s behind the primary, more than Database:MaxReplicaLagSeconds ({MaxLag} s): reads go to the primary until it catches up",
                host.Name, double.IsFinite(lag) ? lag.ToString("0.0", CultureInfo.InvariantCulture) : "an unknown number of", _maxLagSeconds);
        }
    }

    private sealed class Host(string name, NpgsqlDataSource source)
    {
        public string Name => name;

        public NpgsqlDataSource Source => source;

        public bool? WasStandby { get; set; }

        public bool Answering { get; set; } = true;

        public bool WithinLag { get; set; } = true;
    }

    /// <summary>Position: a standby's replay position, or the primary's write position.</summary>
    private sealed record Answer(bool Standby, NpgsqlLogSequenceNumber? Position, NpgsqlLogSequenceNumber? Received, double? SecondsSinceReplay);
}
