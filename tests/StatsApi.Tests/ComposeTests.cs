using StatsApi.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace StatsApi.Tests;

/// <summary>compose.yaml cannot run here (no Docker engine), so its shape is checked: the default services as before, and the scale profile.</summary>
public class ComposeTests
{
    private static readonly Dictionary<string, Dictionary<string, object>> Services = Load();

    private static Dictionary<string, Dictionary<string, object>> Load()
    {
        using var reader = new StringReader(Repository.Read("compose.yaml"));
        var compose = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(new MergingParser(new Parser(reader)));
        return ((Dictionary<object, object>)compose["services"]).ToDictionary(
            s => (string)s.Key, s => ((Dictionary<object, object>)s.Value).ToDictionary(p => (string)p.Key, p => p.Value));
    }

    private static string[] Profiles(string service) =>
        Services[service].TryGetValue("profiles", out var profiles) ? ((List<object>)profiles).Cast<string>().ToArray() : [];

    private static Dictionary<object, object> Environment(string service) => (Dictionary<object, object>)Services[service]["environment"];

    [Fact]
    public void WithoutAProfileTheDatabaseOneInstanceRedisAndTheProxyRun()
    {
        Assert.Equal(["api", "db", "proxy", "redis"], Services.Keys.Where(s => Profiles(s).Length == 0).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheScaleProfileAddsAReplicaOfTheSameConfigurationUnderTheNameTheProxyBalances()
    {
        Assert.Equal(["scale"], Profiles("api-2"));
        Assert.Equal(Environment("api"), Environment("api-2"));
        Assert.Equal(Services["api"]["build"], Services["api-2"]["build"]);
        var aliases = (List<object>)((Dictionary<object, object>)((Dictionary<object, object>)Services["api-2"]["networks"])["backend"])["aliases"];
        Assert.Contains("api", aliases);
        var caddyfile = Repository.Read("Caddyfile");
        Assert.Matches(@"dynamic a \{\s*name api\s*port 8080", caddyfile);
    }

    [Fact]
    public void TheScaleProfileStreamsAStandbyOfThePrimaryThatTheConnectionStringNames()
    {
        Assert.Equal(["scale"], Profiles("db-standby"));
        var command = string.Join(' ', ((List<object>)Services["db-standby"]["command"]).Cast<string>());
        Assert.Contains("pg_basebackup --host=db --username=replicator", command, StringComparison.Ordinal);
        Assert.Contains("--write-recovery-conf", command, StringComparison.Ordinal);
        Assert.Contains("./deploy/replication-role.sh:/docker-entrypoint-initdb.d/replication-role.sh:ro", ((List<object>)Services["db"]["volumes"]).Cast<string>());
        Assert.Contains("create role replicator with replication login", Repository.Read("deploy/replication-role.sh"), StringComparison.Ordinal);
        var connection = new Npgsql.NpgsqlConnectionStringBuilder((string)Environment("api")["ConnectionStrings__Default"]);
        Assert.Equal("db,db-standby", connection.Host);
        Assert.Equal("primary", connection.TargetSessionAttributes);
    }
}
