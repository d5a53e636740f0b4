using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace StatsApi.Data;

internal sealed record Migration(string Version, string Sql, string Checksum);

/// <summary>Applies the numbered SQL files of db/migrations, each once and in order.</summary>
internal sealed class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    // Serialises migrators of several instances that start at the same moment.
    internal const long AdvisoryLockKey = 0x5374_6174_7341_7069;

    public static IReadOnlyList<Migration> All { get; } = Load();

    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Waiting for another instance's migrations, or running a long one, is no failure: only
        // cancellation (the host stopping) ends the wait. Pooled connections are not reset on return,
        // so the setting is restored below before the connection serves anything else.
        var statementTimeout = await connection.ExecuteScalarAsync<string>(Unbounded(
            "select current_setting('statement_timeout'), set_config('statement_timeout', '0', false)", cancellationToken: cancellationToken));
        await connection.ExecuteAsync(Unbounded("select pg_advisory_lock(@key)", new { key = AdvisoryLockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(Unbounded("""
                create table if not exists schema_migrations (
                    version     text primary key,
                    checksum    text not null,
                    applied_at  timestamptz not null default now()
                )
                """, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<(string Version, string Checksum)>(
                Unbounded("select version, checksum from schema_migrations", cancellationToken: cancellationToken)))
                .ToDictionary(m => m.Version, m => m.Checksum);

            var newlyApplied = new List<string>();
            foreach (var migration in All)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {migration.Version} was changed after it was applied; add a new migration instead.");
                    }
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(Unbounded(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(Unbounded(
                    "insert into schema_migrations (version, checksum) values (@Version, @Checksum)",
                    new { migration.Version, migration.Checksum }, transaction, cancellationToken));
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Version}", migration.Version);
                newlyApplied.Add(migration.Version);
            }
            return newlyApplied;
        }
        finally
        {
            // Not cancellable: a lock left on a pooled connection would block every other migrator, and
            // an unbounded statement_timeout would outlive the migrations.
            await connection.ExecuteAsync("select pg_advisory_unlock(@key), set_config('statement_timeout', @statementTimeout, false)",
                new { key = AdvisoryLockKey, statementTimeout });
        }
    }

    /// <summary>The versions this build knows of that the database has not recorded.</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select to_regclass('schema_migrations') is not null", cancellationToken: cancellationToken));
        var applied = exists
            ? (await connection.QueryAsync<string>(new CommandDefinition("select version from schema_migrations", cancellationToken: cancellationToken))).ToHashSet()
            : [];
        return All.Select(m => m.Version).Where(v => !applied.Contains(v)).ToList();
    }

    private static CommandDefinition Unbounded(string sql, object? parameters = null, NpgsqlTransaction? transaction = null,
        CancellationToken cancellationToken = default) =>
        new(sql, parameters, transaction, commandTimeout: 0, cancellationToken: cancellationToken);

    private static List<Migration> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith("migrations/", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name =>
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var sql = reader.ReadToEnd().ReplaceLineEndings("\n");
                var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
                return new Migration(Path.GetFileNameWithoutExtension(name["migrations/".Length..]), sql, checksum);
            })
            .ToList();
    }
}
