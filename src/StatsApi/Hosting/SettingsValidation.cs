using Microsoft.Extensions.Options;

namespace StatsApi.Hosting;

/// <summary>
/// Every settings section is bound and checked once, before the service or a command touches the
/// database, so a bad value stops start-up with one line that names it. Each part registers the check of
/// its own section beside its options (Http, Database, Redis, Telemetry, Tokens, Auth, RateLimits, Retention,
/// Changes) with ValidateOnStart; this runs them all.
/// </summary>
internal static class SettingsValidation
{
    /// <summary>Throws a <see cref="ConfigurationException"/> naming every setting that is out of range or cannot be read.</summary>
    public static void ValidateSettings(this IServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (OptionsValidationException ex)
        {
            throw new ConfigurationException(string.Join(" ", ex.Failures), ex);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            throw new ConfigurationException(string.Join(" ", ex.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures)), ex);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's own message names the setting and the type it could not be read as.
            throw new ConfigurationException(ex.Message, ex);
        }
    }
}
