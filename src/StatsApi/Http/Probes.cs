namespace StatsApi.Http;

/// <summary>The health probes' paths, which orchestrators call over plain HTTP and the request log and traces leave out.</summary>
internal static class Probes
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    public static bool IsProbe(PathString path) => path == LivePath || path == ReadyPath;
}
