using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Data;
using StatsApi.Http;
using StatsApi.Standbys;

namespace StatsApi.Writes;

/// <summary>What a write runs with: one transaction on one school, on behalf of one caller.</summary>
public sealed record WriteScope(NpgsqlConnection Connection, NpgsqlTransaction Transaction, HttpContext Http, string School)
{
    public CancellationToken Cancellation => Http.RequestAborted;

    public Task AuditAsync(string action, string objectType, object objectId) =>
        Audit.RecordAsync(Connection, Transaction, Http, School, action, objectType, Convert.ToString(objectId, System.Globalization.CultureInfo.InvariantCulture)!);
}

/// <summary>
/// Runs every write of the API: in one transaction (retried on deadlock and serialization failure),
/// audited in that transaction, and for a POST with an Idempotency-Key, answered once per key.
/// A write that refuses (a missing id, a stale version) rolls back whatever it did. The caller's reads
/// then go to the primary for a while, so that it reads what it wrote (<see cref="ReadRouting"/>).
/// </summary>
public sealed class SchoolWrites(WriteTransactions transactions, ReadRouting reads)
{
    private sealed class Refused(ProblemHttpResult? problem, ValidationProblem? invalid) : Exception
    {
        public Results<Written<TAnswer>, ValidationProblem, ProblemHttpResult> Answer<TAnswer>() where TAnswer : IResult, IEndpointMetadataProvider =>
            invalid is not null ? invalid : problem!;
    }

    /// <summary>Rolls the write back and answers with this problem instead.</summary>
    public static Exception Refuse(ProblemHttpResult problem) => new Refused(problem, null);

    /// <summary>Rolls the write back and answers with this problem instead.</summary>
    public static Exception Refuse(ValidationProblem problem) => new Refused(null, problem);

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
            return await transactions.RunAsync<Results<Written<TAnswer>, ValidationProblem, ProblemHttpResult>>(async (connection, transaction, cancellationToken) =>
            {
                var scope = new WriteScope(connection, transaction, http, school.Id);
                if (key is not null)
                {
                    var claim = await IdempotencyKeys.ClaimAsync(connection, transaction, school.Id, client, key, fingerprint, cancellationToken);
                    switch (claim)
                    {
                        case IdempotencyKeys.Claim.Replay when answerHoldsSecret:
                            throw Refuse(Problems.Create(StatusCodes.Status409Conflict, "idempotency_key_applied",
                                "The request with this Idempotency-Key was applied already.",
                                "Its answer held a secret, which is shown only once: list what was created, delete it if the secret was lost, and create another with a new key."));
                        case IdempotencyKeys.Claim.Replay replay:
                            return new Written<TAnswer>(replay.Answer);
                        case IdempotencyKeys.Claim.Mismatch:
                            throw Refuse(Problems.Create(StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused",
                                "The Idempotency-Key was used for another request.",
                                "This Idempotency-Key was sent before with another method, path or body; use a new key for a new request."));
                    }
                }
                var answer = await write(scope);
                if (key is not null)
                {
                    await IdempotencyKeys.StoreAsync(connection, transaction, school.Id, client, key, answerHoldsSecret ? answer.WithoutBody() : answer, cancellationToken);
                }
                return answer;
            }, http.RequestAborted);
        }
        catch (Refused refused)
        {
            return refused.Answer<TAnswer>();
        }
        finally
        {
            await reads.NoteWriteAsync(http);
        }
    }
}
