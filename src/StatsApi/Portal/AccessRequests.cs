using Dapper;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Portal;

// Settable properties rather than a positional record: Dapper binds text[] columns to properties only.
internal sealed record AccessRequest
{
    public long RequestId { get; init; }
    public long AccountId { get; init; }
    public string AccountEmail { get; init; } = "";
    public string Organisation { get; init; } = "";
    public string Website { get; init; } = "";
    public string ContactName { get; init; } = "";
    public string ContactEmail { get; init; } = "";
    public string ContactTelephone { get; init; } = "";
    public string Purpose { get; init; } = "";
    public string[] SchoolsWanted { get; init; } = [];
    public string TierWanted { get; init; } = "";
    public string? RedirectUri { get; init; }
    public string State { get; init; } = "";
    public string? ReviewerReason { get; init; }
    public DateTime? ReviewedAt { get; init; }
    public string[]? GrantedSchools { get; init; }
    public string? GrantedTier { get; init; }
    public string[]? GrantedScopes { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>What a developer asks for, as typed in the form.</summary>
internal sealed record AccessRequestForm(string? Organisation, string? Website, string? ContactName, string? ContactEmail,
    string? ContactTelephone, string? Purpose, string? Schools, string? Tier, string? RedirectUri);

/// <summary>What a platform administrator grants: it may narrow what was asked.</summary>
internal sealed record Grant(IReadOnlyList<string> Schools, string Tier, IReadOnlyList<string> Scopes);

/// <summary>Organisations' requests for access, the queue platform administrators review, and the grants.</summary>
internal sealed class AccessRequests(NpgsqlDataSource dataSource, ApiClients clients)
{
    /// <summary>What the portal may grant: every scope but the platform's own administration.</summary>
    public static IReadOnlyList<string> GrantableScopes { get; } = Scopes.All.Where(s => s != Scopes.Admin).Order(StringComparer.Ordinal).ToList();

    private const string Columns = """
        r.request_id, r.account_id, a.email as account_email, r.organisation, r.website, r.contact_name, r.contact_email,
        r.contact_telephone, r.purpose, r.schools_wanted, r.tier_wanted, r.redirect_uri, r.state, r.reviewer_reason, r.reviewed_at,
        r.granted_schools, r.granted_tier, r.granted_scopes, r.created_at
        """;

    public static List<string> SplitList(string? text) =>
        (text ?? "").Split([',', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Field name to message; empty when the form is acceptable.</summary>
    public static Dictionary<string, string> Validate(AccessRequestForm form)
    {
        var errors = new Dictionary<string, string>();
        Require(errors, nameof(form.Organisation), form.Organisation, 200, "the organisation's name");
        Require(errors, nameof(form.ContactName), form.ContactName, 200, "the contact person's name");
        Require(errors, nameof(form.Purpose), form.Purpose, 4000, "what the access is for");
        if (!IsWebAddress(form.Website, allowLoopbackHttp: false))
        {
            errors[nameof(form.Website)] = "Enter the organisation's website, such as https://example.org.";
        }
        if (DeveloperAccounts.EmailProblem(form.ContactEmail) is { } emailProblem)
        {
            errors[nameof(form.ContactEmail)] = emailProblem;
        }
        var telephone = form.ContactTelephone?.Trim() ?? "";
        if (telephone.Count(char.IsAsciiDigit) is < 5 or > 20 || telephone.Length > 50 ||
            !telephone.All(c => char.IsAsciiDigit(c) || c is '+' or ' ' or '-' or '(' or ')'))
        {
            errors[nameof(form.ContactTelephone)] = "Enter a telephone number of digits, spaces, +, - and brackets, such as +372 5555 1234.";
        }
        var schools = SplitList(form.Schools);
        var malformed = schools.Where(s => !SchoolIds.IsValid(s)).ToList();
        if (schools.Count == 0 || malformed.Count > 0 || schools.Count > 100)
        {
            errors[nameof(form.Schools)] = malformed.Count > 0
                ? $"School ids are lowercase words joined by hyphens, such as oakwood-primary; not: {string.Join(", ", malformed.Take(5))}."
                : "Name the schools you need, one or more ids (at most 100) separated by commas, such as oakwood-primary.";
        }
        if (!Tiers.All.Contains(form.Tier ?? ""))
        {
            errors[nameof(form.Tier)] = $"Choose a tier: {string.Join(", ", Tiers.All)}.";
        }
        if (!string.IsNullOrWhiteSpace(form.RedirectUri) && !IsWebAddress(form.RedirectUri, allowLoopbackHttp: true))
        {
            errors[nameof(form.RedirectUri)] = "A redirect URI is an https address (http only for localhost), or left empty.";
        }
        return errors;
    }

    /// <summary>The account's newest request, or null before the first.</summary>
    public async Task<AccessRequest?> LatestAsync(long accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<AccessRequest>(new CommandDefinition($"""
            select {Columns} from access_requests r join developer_accounts a using (account_id)
            where r.account_id = @accountId order by r.request_id desc limit 1
            """, new { accountId }, cancellationToken: cancellationToken));
    }

    /// <summary>Files a request for an account with none pending or approved; null when it has one.</summary>
    public async Task<AccessRequest?> SubmitAsync(long accountId, AccessRequestForm form, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One request at a time per account, decided under the account's row lock.
        await connection.ExecuteAsync(new CommandDefinition(
            "select 1 from developer_accounts where account_id = @accountId for update", new { accountId }, transaction, cancellationToken: cancellationToken));
        var open = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from access_requests where account_id = @accountId and state in ('pending', 'approved'))",
            new { accountId }, transaction, cancellationToken: cancellationToken));
        if (open)
        {
            return null;
        }
        var requestId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            insert into access_requests (account_id, organisation, website, contact_name, contact_email, contact_telephone, purpose,
                                         schools_wanted, tier_wanted, redirect_uri)
            values (@accountId, @organisation, @website, @contactName, @contactEmail, @contactTelephone, @purpose, @schools, @tier, @redirectUri)
            returning request_id
            """,
            new
            {
                accountId,
                organisation = form.Organisation!.Trim(),
                website = form.Website!.Trim(),
                contactName = form.ContactName!.Trim(),
                contactEmail = form.ContactEmail!.Trim(),
                contactTelephone = form.ContactTelephone!.Trim(),
                purpose = form.Purpose!.Trim(),
                schools = SplitList(form.Schools).ToArray(),
                tier = form.Tier,
                redirectUri = string.IsNullOrWhiteSpace(form.RedirectUri) ? null : form.RedirectUri.Trim(),
            }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return await LatestAsync(accountId, cancellationToken);
    }

    public async Task<IReadOnlyList<AccessRequest>> PendingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<AccessRequest>(new CommandDefinition($"""
            select {Columns} from access_requests r join developer_accounts a using (account_id)
            where r.state = 'pending' order by r.request_id
            """, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Field name to message for a grant; the schools must exist, the scopes be grantable.</summary>
    public async Task<Dictionary<string, string>> ValidateAsync(Grant grant, CancellationToken cancellationToken = default)
    {
        // The client registry's own rules, so a grant never allows a client the registry would refuse.
        var errors = (await clients.ValidateAsync(new NewClient("grant", grant.Tier, grant.Schools, grant.Scopes), cancellationToken))
            .ToDictionary(e => e.Key, e => string.Join(" ", e.Value));
        if (grant.Schools.Count == 0)
        {
            errors["schools"] = "Grant at least one school.";
        }
        if (grant.Scopes.Contains(Scopes.Admin))
        {
            errors["scopes"] = "The admin scope is never granted through the portal.";
        }
        return errors;
    }

    /// <summary>Approves a pending request with this grant and activates its account; false when it is not pending.</summary>
    public async Task<bool> ApproveAsync(long requestId, long reviewerId, Grant grant, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var accountId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select account_id from access_requests where request_id = @requestId and state = 'pending' for update",
            new { requestId }, transaction, cancellationToken: cancellationToken));
        if (accountId is null)
        {
            return false;
        }
        // The grant first: an approved request always holds one.
        await GrantChanges.ChangeAsync(connection, transaction, new GrantChange(requestId, null, "approve", ClientActors.PortalAdministrator(reviewerId), grant), cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "update access_requests set state = 'approved', reviewed_by = @reviewerId, reviewed_at = now() where request_id = @requestId",
            new { requestId, reviewerId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "update developer_accounts set state = 'active' where account_id = @accountId", new { accountId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Declines a pending request, with the reason the developer will read; false when it is not pending.</summary>
    public async Task<bool> DeclineAsync(long requestId, long reviewerId, string reason, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var declined = await connection.ExecuteAsync(new CommandDefinition("""
            update access_requests set state = 'declined', reviewed_by = @reviewerId, reviewed_at = now(), reviewer_reason = @reason
            where request_id = @requestId and state = 'pending'
            """, new { requestId, reviewerId, reason = reason.Trim() }, transaction, cancellationToken: cancellationToken)) > 0;
        if (declined)
        {
            await GrantChanges.ChangeAsync(connection, transaction, new GrantChange(requestId, null, "decline", ClientActors.PortalAdministrator(reviewerId), null), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return declined;
    }

    private static void Require(Dictionary<string, string> errors, string field, string? value, int maximum, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = $"Enter {what}.";
        }
        else if (value.Trim().Length > maximum)
        {
            errors[field] = $"Keep {what} to {maximum} characters at most.";
        }
    }

    private static bool IsWebAddress(string? value, bool allowLoopbackHttp) =>
        !string.IsNullOrWhiteSpace(value) && value.Trim().Length <= 500 &&
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && (!allowLoopbackHttp || uri.IsLoopback))) &&
        uri.Host.Length > 0 && uri.Fragment.Length == 0;
}
