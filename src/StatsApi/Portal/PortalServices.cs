using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using StatsApi.Tokens;

namespace StatsApi.Portal;

/// <summary>
/// The developer portal under /portal: server-rendered pages, signed in with a cookie of its own scheme. The
/// API never accepts that cookie (its default scheme is the bearer token), and the portal never accepts a token.
/// </summary>
internal static class PortalServices
{
    public const string Scheme = "Portal";
    public const string Policy = "PortalDeveloper";
    public const string Path = "/portal";

    private const string StampClaim = "portal_stamp";

    // Nothing inline, nothing from elsewhere: the stylesheet and the copy button's script are the service's own.
    private const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static IHostApplicationBuilder AddStatsApiPortal(this IHostApplicationBuilder builder)
    {
        // ASP.NET Core Identity's hasher (PBKDF2, its iteration count from PasswordHasherOptions), from the container
        // so a host can set its cost the way Identity's own options are set.
        builder.Services.AddSingleton<IPasswordHasher<DeveloperAccount>, PasswordHasher<DeveloperAccount>>();
        builder.Services.AddSingleton<DeveloperAccounts>();
        builder.Services.AddSingleton<AccessRequests>();
        builder.Services.AddSingleton<PortalApplications>();
        builder.Services.AddSingleton<SchoolRequests>();
        builder.Services.AddDataProtection().SetApplicationName("statsapi-portal");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource, KeyProtector>((options, dataSource, protector) =>
            options.XmlRepository = new DataProtectionKeys(dataSource, protector));
        // The repository encrypts each key itself (DataProtectionKeys), so the key manager's warning that no XML
        // encryptor is configured would be false at every start; its errors still reach the log.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
        builder.Services.AddAuthentication().AddCookie(Scheme, cookie =>
        {
            // __Host-: sent only over HTTPS, to this host, for every path.
            cookie.Cookie.Name = "__Host-statsapi-portal";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.Path = "/";
            cookie.LoginPath = $"{Path}/sign-in";
            cookie.LogoutPath = $"{Path}/sign-out";
            cookie.AccessDeniedPath = Path;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
            cookie.Events.OnValidatePrincipal = ValidateSessionAsync;
        });
        builder.Services.AddAuthorizationBuilder().AddPolicy(Policy, policy =>
            policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "__Host-statsapi-portal-antiforgery";
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.Path = "/";
        });
        builder.Services.AddRazorPages(pages =>
        {
            pages.RootDirectory = "/Portal";
            pages.Conventions.AuthorizeFolder("/", Policy);
            pages.Conventions.AllowAnonymousToPage("/SignIn");
            pages.Conventions.AllowAnonymousToPage("/SignUp");
        });
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Path), portal => portal.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            // A page may hold a secret shown once: nothing keeps a copy.
            headers.CacheControl = "no-store";
            await next(context);
        }));
        app.MapGet($"{Path}/portal.css", () => Asset("portal.css", "text/css; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet($"{Path}/portal.js", () => Asset("portal.js", "text/javascript; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        app.MapRazorPages().ExcludeFromDescription();
        return app;
    }

    /// <summary>The principal of a new session: the account and the stamp that ends it when changed.</summary>
    public static ClaimsPrincipal Principal(DeveloperAccount account) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, account.AccountId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
         new Claim(ClaimTypes.Email, account.Email), new Claim(StampClaim, account.SecurityStamp)], Scheme));

    /// <summary>The signed-in account, read once per request when the session was validated.</summary>
    public static DeveloperAccount? Account(HttpContext context) => context.Items[typeof(DeveloperAccount)] as DeveloperAccount;

    // Every request reads the account, so a session ends on every instance as soon as its stamp changes.
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var accounts = context.HttpContext.RequestServices.GetRequiredService<DeveloperAccounts>();
        var account = long.TryParse(context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? await accounts.FindAsync(id, context.HttpContext.RequestAborted)
            : null;
        if (account is null || account.SecurityStamp != context.Principal?.FindFirstValue(StampClaim))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
            return;
        }
        context.HttpContext.Items[typeof(DeveloperAccount)] = account;
    }

    private static IResult Asset(string name, string contentType)
    {
        var stream = typeof(PortalServices).Assembly.GetManifestResourceStream($"portal/{name}")
            ?? throw new InvalidOperationException($"The portal's {name} is not embedded in the assembly.");
        return Results.Stream(stream, contentType);
    }
}
