namespace StatsApi.Tests.Infrastructure;

/// <summary>Files of the checkout the tests run from.</summary>
public static class Repository
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "StatsApi.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("StatsApi.sln not found above the test output.");
    });

    public static string PathOf(string relativePath) => Path.Combine(Root.Value, relativePath);

    public static string Read(string relativePath) => File.ReadAllText(PathOf(relativePath)).ReplaceLineEndings("\n");
}
