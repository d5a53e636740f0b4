using System.Net;
using System.Net.Mail;
using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using StatsApi.RateLimiting;

namespace StatsApi.Portal;

internal sealed record DeveloperAccount
{
    public long AccountId { get; init; }
    public string Email { get; init; } = "";
    public string State { get; init; } = "";
    public bool IsPlatformAdmin { get; init; }
    public string SecurityStamp { get; init; } = "";
    public DateTime CreatedAt { get; init; }

    public bool IsActive => State == "active";
}

internal abstract record SignInResult
{
    public sealed record Succeeded(DeveloperAccount Account) : SignInResult;
    public sealed record WrongCredentials : SignInResult;
    /// <summary>Refused until then: the e-mail address typed failed too often, or the network address it came from did.</summary>
    public sealed record LockedOut(DateTimeOffset Until, bool ByNetworkAddress = false) : SignInResult;
}

/// <summary>The portal's accounts: sign-up, sign-in with a lockout every instance shares, and platform administrators.</summary>
internal sealed class DeveloperAccounts(NpgsqlDataSource dataSource, TimeProvider clock, IPasswordHasher<DeveloperAccount> hasher)
{
    public const int MinimumPasswordLength = 12;
    public const int MaximumPasswordLength = 128;

    public static readonly string PasswordHint = $"At least {MinimumPasswordLength} characters. A few words you will remember work well.";

    /// <summary>Failures within <see cref="FailureWindow"/> that lock an address for <see cref="LockoutDuration"/>.</summary>
    public const int FailuresBeforeLockout = 5;
    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Failures from one network address within <see cref="FailureWindow"/>, whatever the accounts, that pause its
    /// sign-ins for <see cref="LockoutDuration"/>: more than one account's, as colleagues may share an address.
    /// </summary>
    public const int FailuresBeforeAddressLockout = 20;

    private static readonly Counter ByAccount = new("portal_sign_in_failures", "email_key", FailuresBeforeLockout);
    private static readonly Counter ByAddress = new("portal_sign_in_address_failures", "address_key", FailuresBeforeAddressLockout);

    private const string Columns = "account_id, email, state, is_platform_admin, security_stamp, created_at";

    // Passwords people pick first when told "at least 12 characters".
    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "123456789012", "1234567890123", "12345678901234", "password1234", "password12345", "passwordpassword",
        "qwertyuiopas", "qwerty123456", "123456789abc", "aaaaaaaaaaaa", "iloveyou1234", "letmein12345",
        "welcome12345", "administrator", "changeme1234", "abcdefghijkl", "abc123456789", "111111111111",
    };

    // Verified against when the address is unknown, so a miss costs what a hit costs.
    private readonly Lazy<string> _unknownHash = new(() => hasher.HashPassword(new DeveloperAccount(), NewStamp()));

    public static string? EmailProblem(string? email) =>
        string.IsNullOrWhiteSpace(email) ? "Enter your e-mail address."
        : email.Length > 254 || !MailAddress.TryCreate(email.Trim(), out var parsed) || parsed.Address != email.Trim() || !parsed.Host.Contains('.')
            ? "Enter an e-mail address such as name@example.org."
            : null;

    public static string? PasswordProblem(string? password) =>
        string.IsNullOrEmpty(password) ? "Choose a password."
        : password.Length < MinimumPasswordLength ? $"The password must have at least {MinimumPasswordLength} characters."
        : password.Length > MaximumPasswordLength ? $"The password may have at most {MaximumPasswordLength} characters."
        : Common.Contains(password) || password.Distinct().Count() < 4 ? "This password is among the first that are guessed: choose another."
        : null;

    /// <summary>A new pending account, or null when the address has one already.</summary>
    public async Task<DeveloperAccount?> SignUpAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return await connection.QuerySingleAsync<DeveloperAccount>(new CommandDefinition($"""
                insert into developer_accounts (email, password_hash, security_stamp)
                values (@email, @hash, @stamp)
                returning {Columns}
                """, new { email = email.Trim(), hash = hasher.HashPassword(new DeveloperAccount(), password), stamp = NewStamp() },
                cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return null;
        }
    }

    public async Task<SignInResult> SignInAsync(string email, string password, IPAddress? from, CancellationToken cancellationToken = default)
    {
        var key = email.Trim().ToLowerInvariant();
        var address = FailedTokenRequestLimiter.AddressOf(from);
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await ByAddress.LockedUntilAsync(connection, address, now, cancellationToken) is { } paused)
        {
            return new SignInResult.LockedOut(paused, ByNetworkAddress: true);
        }
        if (await ByAccount.LockedUntilAsync(connection, key, now, cancellationToken) is { } until)
        {
            return new SignInResult.LockedOut(until);
        }
        var stored = await connection.QuerySingleOrDefaultAsync<(long Id, string Hash)?>(new CommandDefinition(
            "select account_id, password_hash from developer_accounts where lower(email) = @key", new { key }, cancellationToken: cancellationToken));
        var verdict = hasher.VerifyHashedPassword(new DeveloperAccount(), stored?.Hash ?? _unknownHash.Value, password);
        if (stored is { } account && verdict != PasswordVerificationResult.Failed)
        {
            // The account's count only: signing in to an account of one's own never clears the address's.
            await ByAccount.ClearAsync(connection, key, cancellationToken);
            return new SignInResult.Succeeded((await FindAsync(account.Id, cancellationToken))!);
        }
        var byAddress = await ByAddress.FailAsync(connection, address, now, cancellationToken);
        var byAccount = await ByAccount.FailAsync(connection, key, now, cancellationToken);
        return byAddress is { } addressLock ? new SignInResult.LockedOut(addressLock, ByNetworkAddress: true)
            : byAccount is { } accountLock ? new SignInResult.LockedOut(accountLock)
            : new SignInResult.WrongCredentials();
    }

    /// <summary>
    /// A new password for an account whose current one is typed again. A new stamp ends every other session, on
    /// every instance; a wrong current password counts as a failed sign-in of the account, so a session left open
    /// is no way to guess it.
    /// </summary>
    public async Task<SignInResult> ChangePasswordAsync(long accountId, string currentPassword, string newPassword, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var stored = await connection.QuerySingleAsync<(string Email, string Hash)>(new CommandDefinition(
            "select email, password_hash from developer_accounts where account_id = @accountId", new { accountId }, cancellationToken: cancellationToken));
        var key = stored.Email.Trim().ToLowerInvariant();
        if (await ByAccount.LockedUntilAsync(connection, key, now, cancellationToken) is { } until)
        {
            return new SignInResult.LockedOut(until);
        }
        if (hasher.VerifyHashedPassword(new DeveloperAccount(), stored.Hash, currentPassword) == PasswordVerificationResult.Failed)
        {
            return await ByAccount.FailAsync(connection, key, now, cancellationToken) is { } locked
                ? new SignInResult.LockedOut(locked) : new SignInResult.WrongCredentials();
        }
        var changed = await connection.QuerySingleAsync<DeveloperAccount>(new CommandDefinition($"""
            update developer_accounts set password_hash = @hash, security_stamp = @stamp where account_id = @accountId
            returning {Columns}
            """, new { accountId, hash = hasher.HashPassword(new DeveloperAccount(), newPassword), stamp = NewStamp() },
            cancellationToken: cancellationToken));
        return new SignInResult.Succeeded(changed);
    }

    public async Task<DeveloperAccount?> FindAsync(long accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<DeveloperAccount>(new CommandDefinition(
            $"select {Columns} from developer_accounts where account_id = @accountId", new { accountId }, cancellationToken: cancellationToken));
    }

    /// <summary>Ends every session of the account, on every instance.</summary>
    public async Task EndSessionsAsync(long accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "update developer_accounts set security_stamp = @stamp where account_id = @accountId",
            new { accountId, stamp = NewStamp() }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Makes the account of this address a platform administrator, active at once. With no account yet, one is
    /// made with a generated password, returned this once.
    /// </summary>
    public async Task<(DeveloperAccount Account, string? NewPassword)> MakePlatformAdminAsync(string email, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var promoted = await connection.QuerySingleOrDefaultAsync<DeveloperAccount>(new CommandDefinition($"""
            update developer_accounts set is_platform_admin = true, state = 'active' where lower(email) = lower(@email)
            returning {Columns}
            """, new { email = email.Trim() }, cancellationToken: cancellationToken));
        if (promoted is not null)
        {
            return (promoted, null);
        }
        var password = NewPassword();
        var created = await connection.QuerySingleAsync<DeveloperAccount>(new CommandDefinition($"""
            insert into developer_accounts (email, password_hash, security_stamp, state, is_platform_admin)
            values (@email, @hash, @stamp, 'active', true)
            on conflict (lower(email)) do update set is_platform_admin = true, state = 'active'
            returning {Columns}
            """, new { email = email.Trim(), hash = hasher.HashPassword(new DeveloperAccount(), password), stamp = NewStamp() },
            cancellationToken: cancellationToken));
        return (created, password);
    }

    public async Task<IReadOnlyList<DeveloperAccount>> PlatformAdminsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<DeveloperAccount>(new CommandDefinition(
            $"select {Columns} from developer_accounts where is_platform_admin order by lower(email)", cancellationToken: cancellationToken))).ToList();
    }

    // 20 characters of letters and digits: about 119 bits.
    private static string NewPassword() => RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 20);

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Failures of one key (an e-mail address, a network address) in a table every instance shares.</summary>
    private sealed record Counter(string Table, string KeyColumn, int Limit)
    {
        public async Task<DateTimeOffset?> LockedUntilAsync(NpgsqlConnection connection, string key, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var lockedUntil = await connection.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition(
                $"select locked_until from {Table} where {KeyColumn} = @key", new { key }, cancellationToken: cancellationToken));
            return lockedUntil is { } until && new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)) is var end && end > now ? end : null;
        }

        public Task<int> ClearAsync(NpgsqlConnection connection, string key, CancellationToken cancellationToken) =>
            connection.ExecuteAsync(new CommandDefinition($"delete from {Table} where {KeyColumn} = @key", new { key }, cancellationToken: cancellationToken));

        /// <summary>One more failure in the window; the one that reaches the limit locks the key, until the time returned.</summary>
        public async Task<DateTimeOffset?> FailAsync(NpgsqlConnection connection, string key, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var failures = await connection.QuerySingleAsync<int>(new CommandDefinition($"""
                insert into {Table} as f ({KeyColumn}, failures, first_failed_at)
                values (@key, 1, @now)
                on conflict ({KeyColumn}) do update set
                    failures = case when f.first_failed_at < @windowStart then 1 else f.failures + 1 end,
                    first_failed_at = case when f.first_failed_at < @windowStart then @now else f.first_failed_at end
                returning failures
                """, new { key, now = now.UtcDateTime, windowStart = (now - FailureWindow).UtcDateTime }, cancellationToken: cancellationToken));
            if (failures < Limit)
            {
                return null;
            }
            var lockout = now + LockoutDuration;
            await connection.ExecuteAsync(new CommandDefinition(
                $"update {Table} set failures = 0, first_failed_at = @now, locked_until = @lockout where {KeyColumn} = @key",
                new { key, now = now.UtcDateTime, lockout = lockout.UtcDateTime }, cancellationToken: cancellationToken));
            return lockout;
        }
    }
}
