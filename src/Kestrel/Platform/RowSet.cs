using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kestrel.Platform;

/// <summary>
/// Many rows handed to one writer statement at once, as a table the statement reads (<see cref="Source"/>): SQLite reads
/// them from one JSON parameter with <c>json_each</c>, PostgreSQL from one array parameter per column with <c>unnest</c>.
/// Why: binding costs more than the row. Microsoft.Data.Sqlite binds every parameter by name, and SQLite finds a name by
/// comparing it with each of the statement's names in turn, so a statement of 16 rows × 7 parameters spent more of the
/// writer's time binding than upserting (perf, issue 14); on PostgreSQL every statement is a network round trip.
/// The columns are bigint or text (null allowed); a set is reused from transaction to transaction (<see cref="Clear"/>).
/// </summary>
public sealed class RowSet
{
    private readonly bool[] isText;
    private readonly List<long>[] numbers;
    private readonly List<string?>[] texts;
    private readonly string[] postgresParameters;
    private readonly ArrayBufferWriter<byte> json = new();
    private readonly Utf8JsonWriter jsonWriter;
    private int column;

    /// <param name="columns">one letter per column: <c>n</c> for a bigint, <c>t</c> for text</param>
    public RowSet(string columns)
    {
        isText = [.. columns.Select(c => c == 't')];
        numbers = [.. columns.Select(_ => new List<long>())];
        texts = [.. columns.Select(_ => new List<string?>())];
        postgresParameters = [.. columns.Select((_, i) => $"@c{i}")];
        // Relaxed escaping: this JSON goes to SQLite only, never near a browser, and escaping every non-ASCII letter
        // would only make it longer.
        jsonWriter = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    public int Count => numbers[0].Count + texts[0].Count;

    /// <summary>Adds the next column of the row being added (columns in order, then the next row).</summary>
    public RowSet Add(long value)
    {
        numbers[Next(false)].Add(value);
        return this;
    }

    /// <inheritdoc cref="Add(long)"/>
    public RowSet Add(string? value)
    {
        texts[Next(true)].Add(value);
        return this;
    }

    private int Next(bool text)
    {
        if (isText[column] != text) throw new InvalidOperationException($"Column {column} of this row set is not {(text ? "text" : "a number")}.");
        var at = column;
        column = (column + 1) % isText.Length;
        return at;
    }

    /// <summary>
    /// The rows as a table <c>r</c> for a FROM clause, its columns named <c>c0</c>, <c>c1</c>, …, in the order added. Parameters
    /// <c>@rows</c> (SQLite) or <c>@c0</c>, <c>@c1</c>, … (PostgreSQL): see <see cref="Parameters"/>.
    /// </summary>
    private static Dialect<string> Source(string columns) => new(
        "(SELECT " + string.Join(", ", columns.Select((_, i) => $"value->>{i} AS c{i}")) + " FROM jsonb_each(@rows)) AS r",
        "unnest(" + string.Join(", ", columns.Select((_, i) => $"@c{i}")) + ") AS r(" + string.Join(", ", columns.Select((_, i) => $"c{i}")) + ")");

    /// <summary>
    /// A statement that reads a row set, on each engine: <paramref name="text"/> with <c>{0}</c> where the table goes
    /// (<see cref="Source"/>) and, where it needs it, <c>{1}</c> for the larger of two values (SQLite's scalar
    /// <c>max</c>, PostgreSQL's <c>greatest</c>).
    /// </summary>
    public static Dialect<string> Statement(string columns, string text) => new(
        string.Format(text, Source(columns).Sqlite, "max"), string.Format(text, Source(columns).Postgres, "greatest"));

    /// <summary>
    /// SQLite: the writer's command for <paramref name="sql"/>, a statement that reads this set through <see cref="Source"/>,
    /// with the rows bound to it. PostgreSQL's statements go in the writer's batch instead (<see cref="AddTo"/>).
    /// </summary>
    public DbCommand SqliteCommand(WriterSession session, Dialect<string> sql)
    {
        CheckComplete();
        var sqlite = session.Command(sql.Sqlite, "@rows");
        sqlite.Parameters[0].Value = Json();
        return sqlite;
    }

    /// <summary>PostgreSQL: adds <paramref name="sql"/> with the rows bound to it to <paramref name="batch"/>.</summary>
    public void AddTo(DbBatch batch, string sql)
    {
        CheckComplete();
        var command = batch.CreateBatchCommand();
        command.CommandText = sql;
        for (var i = 0; i < isText.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = postgresParameters[i];
            parameter.Value = isText[i] ? texts[i].ToArray() : numbers[i].ToArray();
            command.Parameters.Add(parameter);
        }
        batch.BatchCommands.Add(command);
    }

    private void CheckComplete()
    {
        if (column != 0) throw new InvalidOperationException("The last row of this row set is not complete.");
    }

    private string Json()
    {
        json.ResetWrittenCount();
        jsonWriter.Reset(json);
        jsonWriter.WriteStartArray();
        var rows = isText[0] ? texts[0].Count : numbers[0].Count;
        for (var row = 0; row < rows; row++)
        {
            jsonWriter.WriteStartArray();
            for (var i = 0; i < isText.Length; i++)
            {
                if (!isText[i]) jsonWriter.WriteNumberValue(numbers[i][row]);
                else if (texts[i][row] is { } text) jsonWriter.WriteStringValue(text);
                else jsonWriter.WriteNullValue();
            }
            jsonWriter.WriteEndArray();
        }
        jsonWriter.WriteEndArray();
        jsonWriter.Flush();
        return Encoding.UTF8.GetString(json.WrittenSpan);
    }

    public void Clear()
    {
        foreach (var list in numbers) list.Clear();
        foreach (var list in texts) list.Clear();
        column = 0;
    }
}
