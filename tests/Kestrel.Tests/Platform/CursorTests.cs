using Kestrel.Issues;

namespace Kestrel.Tests.Platform;

public sealed class CursorTests
{
    [Fact]
    public void A_cursor_round_trips() => Assert.Equal([1795722239918L, 42L], Cursor.Decode(Cursor.Encode(1795722239918, 42), 2)!);

    [Theory]
    [InlineData("")]
    [InlineData("%%%")]
    [InlineData("bm90IGEgY3Vyc29y")] // "not a cursor"
    [InlineData("MTI")]              // "12": one key where two are expected
    public void Forged_cursors_are_refused(string cursor) => Assert.Null(Cursor.Decode(cursor, 2));
}
