using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Data;
using StatsApi.Http;
using StatsApi.Standbys;

namespace StatsApi.Writes;

/// <summary>
/// What a write runs with: one transaction on one school, on behalf of one actor. Before it commits, the
/// write has recorded its audit event (<see cref="AuditAsync"/>), or said it changed nothing.
/// </summary>
internal sealed class WriteScope(NpgsqlConnection connection, NpgsqlTransaction transaction, Actor actor, string school, CancellationToken cancellation)
{
    private bool _accounted;

    public NpgsqlConnection Connection => connection;

    public NpgsqlTransaction Transaction => transaction;

    public Actor Actor => actor;

    public string School => school;

    public CancellationToken Cancellation => cancellation;

    /// <summary>Records the write in the audit trail, as the actor's, in the write's transaction.</summary>
    public async Task AuditAsync(string action, string objectType, object objectId)
    {
        await Audit.RecordAsync(connection, transaction, actor, school, action, objectType,
            Convert.ToString(objectId, System.Globalization.CultureInfo.InvariantCulture)!, cancellation);
        _accounted = true;
    }

    /// <summary>The write's own statement recorded its audit event, with this scope's <see cref="Actor"/> (one statement for a register).</summary>
    public void AuditedByStatement() => _accounted = true;

    /// <summary>The write changed nothing (what it asked for was so already, a replayed answer): there is nothing to audit.</summary>
    public void ChangedNothing() => _accounted = true;

    internal void EnsureAudited()
    {
        if (!_accounted)
        {
            throw new InvalidOperationException("A write must record its audit event (WriteScope.AuditAsync) or say that it changed nothing; it was rolled back.");
        }
    }
}

/// <summary>
/// Runs every write, whatever its door: in one transaction (retried on deadlock and serialization failure),
/// audited in that transaction as its actor's. Over HTTP, a POST with an Idempotency-Key is answered once
/// per key, a write that refuses (a missing id, a stale version) rolls back whatever it did, and the
/// caller's reads then go to the primary for a while, so that it reads what it wrote (<see cref="ReadRouting"/>).
/// </summary>
internal sealed class SchoolWrites(WriteTransactions transactions, ReadRouting reads)
{
    /// <summary>
    /// The one audited path of every door (HTTP below, the command line, anything to come): the write runs in
    /// one transaction on the school for the actor, and commits only once it recorded its audit event or said
    /// it changed nothing; otherwise it is rolled back and an <see cref="InvalidOperationException"/> escapes.
    /// </summary>
    public Task<T> RunAsync<T>(Actor actor, string school, Func<WriteScope, Task<T>> write, CancellationToken cancellationToken) =>
        RunAsync(actor, school, write, static _ => true, cancellationToken);

    // keep: whether the write's result is one to commit; a refusal is rolled back, and has nothing to audit.
    private Task<T> RunAsync<T>(Actor actor, string school, Func<WriteScope, Task<T>> write, Func<T, bool> keep, CancellationToken cancellationToken) =>
        transactions.RunAsync(async (connection, transaction, token) =>
        {
            var scope = new WriteScope(connection, transaction, actor, school, token);
            var result = await write(scope);
            if (keep(result))
            {
                scope.EnsureAudited();
            }
            return result;
        }, keep, cancellationToken);

    // answerHoldsSecret: the answer shows a secret once (an API token). It is never stored, so a retry
    // with the same Idempotency-Key is told the request was applied (409) instead of seeing the secret again.
    // The write's answer, TAnswer, is what the contract documents of the operation's success (Written<TAnswer>).
    public async Task<Results<Written<TAnswer>, ValidationProblem, ProblemHttpResult>> RunAsync<TBody, TAnswer>(
        HttpContext http, AuthorizedSchool school, TBody body, Func<WriteScope, Task<Written<TAnswer>>> write, bool answerHoldsSecret = false)
        where TAnswer : IResult, IEndpointMetadataProvider
    {
        string? key = null;
        if (HttpMethods.IsPost(http.Request.Method))
        {
            (key, var error) = IdempotencyKeys.Read(http.Request);
            if (error is not null)
            {
                return Problems.Validation(IdempotencyKeys.Header, error);
            }
        }
        var client = Caller.ClientId(http.User);
        var fingerprint = key is null ? [] : IdempotencyKeys.Fingerprint(http.Request, body);
        try
        {
            var written = await RunAsync<Written<TAnswer>>(Actor.Of(http), school.Id, async scope =>
            {
                if (key is not null)
                {
                    var claim = await IdempotencyKeys.ClaimAsync(scope.Connection, scope.Transaction, school.Id, client, key, fingerprint, scope.Cancellation);
                    switch (claim)
                    {
                        case IdempotencyKeys.Claim.Replay when answerHoldsSecret:
                            return Problems.Create(StatusCodes.Status409Conflict, "idempotency_key_applied",
                                "The request with this Idempotency-Key was applied already.",
                                "Its answer held a secret, which is shown only once: list what was created, delete it if the secret was lost, and create another with a new key.");
                        case IdempotencyKeys.Claim.Replay replay:
                            scope.ChangedNothing();
                            return new Written<TAnswer>(replay.Answer);
                        case IdempotencyKeys.Claim.Mismatch:
                            return Problems.Create(StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused",
                                "The Idempotency-Key was used for another request.",
                                "This Idempotency-Key was sent before with another method, path or body; use a new key for a new request.");
                    }
                }
                var answer = await write(scope);
                if (key is not null && !answer.Refused)
                {
                    await IdempotencyKeys.StoreAsync(scope.Connection, scope.Transaction, school.Id, client, key, answerHoldsSecret ? answer.WithoutBody() : answer, scope.Cancellation);
                }
                return answer;
            }, static answer => !answer.Refused, http.RequestAborted);
            // Each arm returned on its own: as one expression, the refusals would convert back into the written type.
            if (written.Invalid is { } invalid)
            {
                return invalid;
            }
            if (written.Problem is { } problem)
            {
                return problem;
            }
            return written;
        }
        finally
        {
            await reads.NoteWriteAsync(http);
        }
    }
}
