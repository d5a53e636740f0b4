namespace StatsApi.Portal;

/// <summary>One labelled input of a form, with its hint and the message beside it when it was refused.</summary>
internal sealed record FieldView(string Name, string Label, string Type, string? Value, string? Error, string? Hint = null, string? Autocomplete = null)
{
    public string? DescribedBy => string.Join(' ', new[] { Hint is null ? null : $"{Name}-hint", Error is null ? null : $"{Name}-error" }.OfType<string>()) is { Length: > 0 } ids
        ? ids : null;
}
