using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of a test's own, which it may stop and start: the shared one cannot be taken
/// down under other tests. The same commands as scripts/lib/postgres.sh, with the same binaries; as
/// root, run as the postgres user (initdb refuses root).
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    internal static readonly string Bin = Environment.GetEnvironmentVariable("PG_BIN") ?? "/usr/lib/postgresql/15/bin";

    private readonly string _directory;

    private PostgresCluster(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>A new cluster, started. PostgreSQL's default wal_level (replica) lets standbys follow it.</summary>
    public static async Task<PostgresCluster> CreateAsync()
    {
        var cluster = new PostgresCluster(await CreateDirectoryAsync(), FreePort());
        await AsOwnerAsync("initdb", "-D", cluster.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
        await cluster.StartAsync();
        return cluster;
    }

    /// <summary>
    /// A hot standby streaming from this cluster, started on a port of its own: a base backup that
    /// writes its own standby.signal and primary_conninfo (-R). initdb's pg_hba.conf lets loopback replicate.
    /// </summary>
    public async Task<PostgresCluster> CreateStandbyAsync()
    {
        var standby = new PostgresCluster(await CreateDirectoryAsync(), FreePort());
        await AsOwnerAsync("pg_basebackup", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres",
            "-D", standby.DataDirectory, "-R", "-X", "stream", "-c", "fast", "--no-sync");
        await standby.StartAsync();
        return standby;
    }

    private static async Task<string> CreateDirectoryAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            throw new InvalidOperationException($"No PostgreSQL server binaries in {Bin} (set PG_BIN): scripts/test.sh installs them.");
        }
        var directory = Directory.CreateTempSubdirectory("statsapi-cluster-").FullName;
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres", directory);
        }
        return directory;
    }

    /// <summary>Starts the cluster and waits until it accepts connections.</summary>
    public Task StartAsync() =>
        // fsync off is safe for what the tests do: a stopped server loses nothing the kernel holds, and
        // synchronous_commit stays on, so a commit that answered is in the kernel before it answered.
        AsOwnerAsync("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start");

    /// <summary>Stops the cluster: "immediate" as a crash does, "fast" as an administrator does.</summary>
    public Task StopAsync(string mode = "immediate") => AsOwnerAsync("pg_ctl", "-D", DataDirectory, "-m", mode, "-w", "stop");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database }.ConnectionString;

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"create database {name}", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AsOwnerAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        Directory.Delete(_directory, recursive: true);
    }

    private static Task AsOwnerAsync(string program, params string[] args) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(Bin, program), .. args])
            : RunAsync(Path.Combine(Bin, program), args);

    private static async Task RunAsync(string program, params string[] args)
    {
        // From / so that the postgres user is not left in a directory it may not enter.
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
