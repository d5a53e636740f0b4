using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>What a newcomer reads is what the scripts do.</summary>
public class ReadmeTests
{
    [Fact]
    public void TheReadmesFirstCallIsTheOneRunShPrints()
    {
        var readme = Repository.Read("README.md");
        var section = readme[readme.IndexOf("## Your first call", StringComparison.Ordinal)..];
        var start = section.IndexOf("```sh\n", StringComparison.Ordinal) + "```sh\n".Length;
        var commands = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];

        Assert.Equal(Repository.Read("scripts/first-call.sh"), commands);
        Assert.Contains("scripts/first-call.sh", Repository.Read("scripts/run.sh"), StringComparison.Ordinal);
    }
}
