using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace StatsApi.Writes;

/// <summary>
/// What a step of a write found: the object it may go on with, or the problem it must answer with instead
/// (the write then returns it, and its transaction is rolled back).
/// </summary>
internal readonly struct Checked<T> where T : class
{
    private readonly T? _value;
    private readonly ProblemHttpResult? _refusal;

    private Checked(T? value, ProblemHttpResult? refusal)
    {
        _value = value;
        _refusal = refusal;
    }

    public static implicit operator Checked<T>(T value) => new(value, null);

    public static implicit operator Checked<T>(ProblemHttpResult refusal) => new(null, refusal);

    public bool TryGet([NotNullWhen(true)] out T? value, [NotNullWhen(false)] out ProblemHttpResult? refusal)
    {
        value = _value;
        refusal = _refusal;
        return refusal is null;
    }
}
