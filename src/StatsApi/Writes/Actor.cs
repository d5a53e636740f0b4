using StatsApi.Auth;

namespace StatsApi.Writes;

/// <summary>
/// Who a write is done for, as the audit trail records it: the client of an HTTP request and the person
/// its token acts for, or the admin command line. Every door builds one, and every write runs with it
/// (<see cref="SchoolWrites.RunAsync{T}(Actor, string, Func{WriteScope, Task{T}}, CancellationToken)"/>).
/// </summary>
internal sealed record Actor(string ClientId, long? PersonId, string RequestId)
{
    /// <summary>
    /// The client_id the audit trail records for the command line. No client of this service is named so
    /// (their ids are 32 letters and digits), so the trail tells the two doors apart.
    /// </summary>
    public const string CommandLineClientId = "command-line";

    /// <summary>The caller of an HTTP request: its token's client, the person it acts for, the request's id.</summary>
    public static Actor Of(HttpContext http) => new(Caller.ClientId(http.User), Caller.PersonId(http.User), http.TraceIdentifier);

    /// <summary>The admin command line: no client and no person, and a request id of its own for each command.</summary>
    public static Actor CommandLine() => new(CommandLineClientId, null, $"cli-{Guid.NewGuid():N}");
}
