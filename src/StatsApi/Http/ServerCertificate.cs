using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StatsApi.Http;

/// <summary>Kestrel refusing to start for its own settings, such as an HTTPS address without a certificate it can read.</summary>
internal static class ServerCertificate
{
    private const string Hint = "HTTPS needs a certificate: Kestrel__Certificates__Default__Path names a .pfx (with __Password) or a .pem " +
        "(with __KeyPath); or serve plain HTTP behind a TLS-terminating proxy (Http__AllowPlainHttp).";

    /// <summary>
    /// One line that says what to fix, when the exception is a failure of Kestrel's start: a missing, unreadable
    /// or undecryptable certificate file, or no certificate at all; null for anything else.
    /// </summary>
    public static string? Failure(Exception error)
    {
        if (error is not (InvalidOperationException or IOException or UnauthorizedAccessException or CryptographicException))
        {
            return null;
        }
        var kestrel = new StackTrace(error).GetFrames()
            .Select(frame => frame.GetMethod()?.DeclaringType)
            .Where(type => type?.Assembly == typeof(KestrelServerOptions).Assembly)
            .ToList();
        if (kestrel.Count == 0)
        {
            return null;
        }
        var message = error.Message.Split('\n')[0].Trim();
        var tls = kestrel.Any(type => type!.Name.Contains("Https", StringComparison.Ordinal) || type.Name.Contains("Certificate", StringComparison.Ordinal)
            || type.Name.Contains("Tls", StringComparison.Ordinal));
        return !tls ? message
            : error is InvalidOperationException ? $"{message} {Hint}"
            : $"The TLS certificate could not be loaded: {message} {Hint}";
    }
}
