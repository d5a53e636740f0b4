using Microsoft.Extensions.Options;
using StatsApi.Hosting;
using StatsApi.Http;

namespace StatsApi.Admin;

/// <summary>
/// What the executable does with its arguments, and what it answers: it serves the API, with the host's
/// own options (--urls, --environment, --contentRoot, --Section:Key=value), or runs an admin command.
/// Exit codes: 0 done; 1 failed (a setting, the certificate, the port, the database), said in one line;
/// 2 called wrongly (an unknown command or option, a bad argument), with a "did you mean" where one is near.
/// </summary>
internal static class Executable
{
    public static async Task<int> RunAsync(string[] args, Action<WebApplicationBuilder, bool> compose, Func<WebApplication, Task> serve)
    {
        var output = Console.Out;
        var error = Console.Error;
        HostArguments arguments;
        try
        {
            arguments = HostArguments.Split(args);
        }
        catch (UsageException ex)
        {
            error.WriteLine($"{ex.Message} Run 'StatsApi help' for the commands.");
            return 2;
        }
        if (arguments.IsCommand && AdminCli.TryAnswerWithoutServices(arguments.Command, output, error) is { } answered)
        {
            return answered;
        }

        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = arguments.Settings,
                ContentRootPath = DefaultContentRoot(arguments.Settings),
            });
            compose(builder, arguments.IsCommand);
            var app = builder.Build();
            app.Services.ValidateSettings();
            if (arguments.IsCommand)
            {
                return await AdminCli.RunAsync(app.Services, arguments.Command, output, error);
            }
            await serve(app);
            return 0;
        }
        catch (ConfigurationException ex)
        {
            error.WriteLine($"Configuration error: {ex.Message}");
            return 1;
        }
        catch (OptionsValidationException ex)
        {
            error.WriteLine($"Configuration error: {string.Join(" ", ex.Failures)}");
            return 1;
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            error.WriteLine($"{ex.Message} Another process listens there; choose another port (--urls or ASPNETCORE_URLS, or STATSAPI_PORT for scripts/run.sh).");
            return 1;
        }
        catch (Exception ex) when (ServerCertificate.Failure(ex) is { } failure)
        {
            error.WriteLine($"Configuration error: {failure}");
            return 1;
        }
    }

    /// <summary>
    /// appsettings.json sits beside the executable, wherever it is started from, unless --contentRoot
    /// (or ASPNETCORE_CONTENTROOT) names another place: the options' value would override theirs.
    /// </summary>
    private static string? DefaultContentRoot(string[] settings) =>
        new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(settings)
            .Build()[HostDefaults.ContentRootKey] is null
            ? AppContext.BaseDirectory
            : null;
}
