using StatsApi.Paging;

namespace StatsApi.Changes;

/// <summary>
/// A position in one school's change log: a transaction id (xid8) and a change id within the log. The school
/// travels inside the cursor, so a cursor is refused by every other school's feed rather than read there.
/// </summary>
internal sealed record ChangePosition(string School, long Txid, long Change) : IComparable<ChangePosition>
{
    public static ChangePosition Start(string school) => new(school, 0, 0);

    public string Encode() => Cursor.Encode(this);

    public static bool TryDecode(string text, out ChangePosition? position) =>
        Cursor.TryDecode(text, out position) && position is { Txid: >= 0, Change: >= 0, School.Length: > 0 };

    public int CompareTo(ChangePosition? other) =>
        other is null ? 1 : Txid != other.Txid ? Txid.CompareTo(other.Txid) : Change.CompareTo(other.Change);
}
