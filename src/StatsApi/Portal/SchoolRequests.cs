using Dapper;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Portal;

// Settable properties rather than a positional record: Dapper binds text[] columns to properties only.
internal sealed record SchoolRequest
{
    public long SchoolRequestId { get; init; }
    public long RequestId { get; init; }
    public string Organisation { get; init; } = "";
    public string AccountEmail { get; init; } = "";
    public string[] SchoolsWanted { get; init; } = [];
    public string? TierWanted { get; init; }
    public string[] ScopesWanted { get; init; } = [];
    public string Purpose { get; init; } = "";
    public string State { get; init; } = "";
    public string? ReviewerReason { get; init; }
    public DateTime? ReviewedAt { get; init; }
    public string[]? GrantedSchools { get; init; }
    public string? GrantedTier { get; init; }
    public string[]? GrantedScopes { get; init; }
    public DateTime CreatedAt { get; init; }

    /// <summary>The organisation's grant as it stands, beside what it asks to add.</summary>
    public string[] CurrentSchools { get; init; } = [];
    public string CurrentTier { get; init; } = "";
    public string[] CurrentScopes { get; init; } = [];
}

/// <summary>What a developer asks to add, as typed: schools, and perhaps a higher tier or more scopes.</summary>
internal sealed record SchoolRequestForm(string? Schools, string? Tier, IReadOnlyList<string> Scopes, string? Purpose);

/// <summary>
/// Approved organisations' requests to add schools (and perhaps a higher tier or scopes), reviewed by platform
/// administrators. An approval widens the organisation's grant through <see cref="GrantChanges"/>, as every review does.
/// </summary>
internal sealed class SchoolRequests(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        s.school_request_id, s.request_id, r.organisation, a.email as account_email, s.schools_wanted, s.tier_wanted, s.scopes_wanted,
        s.purpose, s.state, s.reviewer_reason, s.reviewed_at, s.granted_schools, s.granted_tier, s.granted_scopes, s.created_at,
        r.granted_schools as current_schools, r.granted_tier as current_tier, r.granted_scopes as current_scopes
        """;

    private const string From = "from school_requests s join access_requests r using (request_id) join developer_accounts a on a.account_id = s.account_id";

    /// <summary>Field name to message; empty when the form asks for something the organisation lacks.</summary>
    public static Dictionary<string, string> Validate(Organisation organisation, SchoolRequestForm form)
    {
        var errors = new Dictionary<string, string>();
        var schools = AccessRequests.SplitList(form.Schools);
        var malformed = schools.Where(s => !SchoolIds.IsValid(s)).ToList();
        if (malformed.Count > 0 || schools.Count > 100)
        {
            errors["Schools"] = malformed.Count > 0
                ? $"School ids are lowercase words joined by hyphens, such as oakwood-primary; not: {string.Join(", ", malformed.Take(5))}."
                : "Name at most 100 schools at a time.";
        }
        if (!string.IsNullOrEmpty(form.Tier) && !Tiers.All.Contains(form.Tier))
        {
            errors["Tier"] = $"Choose a tier: {string.Join(", ", Tiers.All)}.";
        }
        var unknown = form.Scopes.Where(s => !AccessRequests.GrantableScopes.Contains(s)).ToList();
        if (unknown.Count > 0)
        {
            errors["Scopes"] = $"These scopes are not granted through the portal: {string.Join(", ", unknown)}.";
        }
        if (string.IsNullOrWhiteSpace(form.Purpose) || form.Purpose.Trim().Length > 4000)
        {
            errors["Purpose"] = "Say what the added schools are for, in at most 4000 characters.";
        }
        if (!errors.ContainsKey("Schools") && !errors.ContainsKey("Tier") && !errors.ContainsKey("Scopes") && Added(organisation, form) is { Schools.Count: 0, Tier: null, Scopes.Count: 0 })
        {
            errors["Schools"] = schools.Count == 0
                ? "Name the schools to add, such as ravenscroft-high."
                : "Your organisation has these schools, this tier and these scopes already: name a school it lacks.";
        }
        return errors;
    }

    /// <summary>What the form asks beyond the organisation's grant: new schools, a higher tier or null, new scopes.</summary>
    public static (IReadOnlyList<string> Schools, string? Tier, IReadOnlyList<string> Scopes) Added(Organisation organisation, SchoolRequestForm form) =>
        (AccessRequests.SplitList(form.Schools).Except(organisation.Schools, StringComparer.Ordinal).ToList(),
         form.Tier is { Length: > 0 } tier && Tiers.Rank(tier) > Tiers.Rank(organisation.Tier) ? tier : null,
         form.Scopes.Distinct(StringComparer.Ordinal).Except(organisation.Scopes, StringComparer.Ordinal).ToList());

    /// <summary>The organisation's requests to add schools, newest first.</summary>
    public async Task<IReadOnlyList<SchoolRequest>> ForOrganisationAsync(Organisation organisation, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<SchoolRequest>(new CommandDefinition(
            $"select {Columns} {From} where s.request_id = @requestId order by s.school_request_id desc",
            new { requestId = organisation.RequestId }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Files a request that <see cref="Validate"/> accepted; null when the organisation has one waiting.</summary>
    public async Task<SchoolRequest?> SubmitAsync(Organisation organisation, long accountId, SchoolRequestForm form, CancellationToken cancellationToken = default)
    {
        var (schools, tier, scopes) = Added(organisation, form);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                insert into school_requests (request_id, account_id, schools_wanted, tier_wanted, scopes_wanted, purpose)
                values (@requestId, @accountId, @schools, @tier, @scopes, @purpose)
                returning school_request_id
                """,
                new { requestId = organisation.RequestId, accountId, schools = schools.ToArray(), tier, scopes = scopes.ToArray(), purpose = form.Purpose!.Trim() },
                cancellationToken: cancellationToken));
            return (await ForOrganisationAsync(organisation, cancellationToken)).Single(r => r.SchoolRequestId == id);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return null;
        }
    }

    /// <summary>Withdraws one of the organisation's waiting requests; false for any other id.</summary>
    public async Task<bool> WithdrawAsync(Organisation organisation, long schoolRequestId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "update school_requests set state = 'withdrawn' where school_request_id = @schoolRequestId and request_id = @requestId and state = 'pending'",
            new { schoolRequestId, requestId = organisation.RequestId }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<IReadOnlyList<SchoolRequest>> PendingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<SchoolRequest>(new CommandDefinition(
            $"select {Columns} {From} where s.state = 'pending' order by s.school_request_id", cancellationToken: cancellationToken))).ToList();
    }

    public async Task<SchoolRequest?> PendingAsync(long schoolRequestId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SchoolRequest>(new CommandDefinition(
            $"select {Columns} {From} where s.school_request_id = @schoolRequestId and s.state = 'pending'",
            new { schoolRequestId }, cancellationToken: cancellationToken));
    }

    /// <summary>The organisation's grant widened by <paramref name="added"/>: never narrower than it was.</summary>
    public static Grant Widened(SchoolRequest request, Grant added) => new(
        request.CurrentSchools.Union(added.Schools, StringComparer.Ordinal).ToList(),
        Tiers.Rank(added.Tier) > Tiers.Rank(request.CurrentTier) ? added.Tier : request.CurrentTier,
        request.CurrentScopes.Union(added.Scopes, StringComparer.Ordinal).ToList());

    /// <summary>
    /// Approves a waiting request with what the reviewer grants (which may narrow what was asked) and widens the
    /// organisation's grant by it; false when the request is not waiting.
    /// </summary>
    public async Task<bool> ApproveAsync(long schoolRequestId, long reviewerId, Grant added, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The organisation's row locked with the request's, so two approvals widen one after the other.
        var request = await connection.QuerySingleOrDefaultAsync<SchoolRequest>(new CommandDefinition(
            $"select {Columns} {From} where s.school_request_id = @schoolRequestId and s.state = 'pending' for update of s, r",
            new { schoolRequestId }, transaction, cancellationToken: cancellationToken));
        if (request is null)
        {
            return false;
        }
        await GrantChanges.ChangeAsync(connection, transaction,
            new GrantChange(request.RequestId, schoolRequestId, "add-schools", ClientActors.PortalAdministrator(reviewerId), Widened(request, added)), cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            update school_requests set state = 'approved', reviewed_by = @reviewerId, reviewed_at = now(),
                granted_schools = @schools, granted_tier = @tier, granted_scopes = @scopes
            where school_request_id = @schoolRequestId
            """,
            new { schoolRequestId, reviewerId, schools = added.Schools.Distinct().ToArray(), tier = added.Tier, scopes = added.Scopes.Distinct().ToArray() },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Declines a waiting request with the reason the developer will read; false when it is not waiting.</summary>
    public async Task<bool> DeclineAsync(long schoolRequestId, long reviewerId, string reason, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var requestId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            update school_requests set state = 'declined', reviewed_by = @reviewerId, reviewed_at = now(), reviewer_reason = @reason
            where school_request_id = @schoolRequestId and state = 'pending'
            returning request_id
            """, new { schoolRequestId, reviewerId, reason = reason.Trim() }, transaction, cancellationToken: cancellationToken));
        if (requestId is { } organisation)
        {
            await GrantChanges.ChangeAsync(connection, transaction,
                new GrantChange(organisation, schoolRequestId, "decline-schools", ClientActors.PortalAdministrator(reviewerId), null), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return requestId is not null;
    }
}
