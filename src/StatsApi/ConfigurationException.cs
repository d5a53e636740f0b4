namespace StatsApi;

/// <summary>A setting is missing or malformed: reported in one line, without a stack trace, and exit code 1.</summary>
internal sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
