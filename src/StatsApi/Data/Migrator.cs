using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace StatsApi.Data;

public sealed record Migration(string Version, string Sql, string Checksum);

/// <summary>Applies the numbered SQL files of db/migrations, each once and in order.</summary>
public sealed class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    // Serialises migrators of several instances that start at the same moment.
    private const long AdvisoryLockKey = 0x5374_6174_7341_7069;

    public static IReadOnlyList<Migration> All { get; } = Load();

    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("select pg_advisory_lock(@key)", new { key = AdvisoryLockKey });
        try
        {
            await connection.ExecuteAsync("""
                create table if not exists schema_migrations (
                    version     text primary key,
                    checksum    text not null,
                    applied_at  timestamptz not null default now()
                )
                """);
            var applied = (await connection.QueryAsync<(string Version, string Checksum)>(
                "select version, checksum from schema_migrations")).ToDictionary(m => m.Version, m => m.Checksum);

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
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(
                    "insert into schema_migrations (version, checksum) values (@Version, @Checksum)",
                    new { migration.Version, migration.Checksum }, transaction);
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Version}", migration.Version);
                newlyApplied.Add(migration.Version);
            }
            return newlyApplied;
        }
        finally
        {
            await connection.ExecuteAsync("select pg_advisory_unlock(@key)", new { key = AdvisoryLockKey });
        }
    }

    /// <summary>The versions this build knows of that the database has not recorded.</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var exists = await connection.ExecuteScalarAsync<bool>("select to_regclass('schema_migrations') is not null");
        var applied = exists
            ? (await connection.QueryAsync<string>("select version from schema_migrations")).ToHashSet()
            : [];
        return All.Select(m => m.Version).Where(v => !applied.Contains(v)).ToList();
    }

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
