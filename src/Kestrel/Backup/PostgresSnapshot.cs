using System.Data;
using Dapper;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kestrel.Backup;

/// <summary>
/// <c>kestrel backup</c> on PostgreSQL writes the same archive as on SQLite: a self-contained kestrel.db, here built from one
/// consistent snapshot of the PostgreSQL database (REPEATABLE READ, READ ONLY). The copy gets SQLite's own migrations, then
/// every table they make is copied row by row, streaming, so memory stays bounded whatever the database's size; the two
/// engines' tables have the same names and columns (a test holds them to it). Not copied: the secrets table, which the
/// archive leaves out on SQLite too (.admin_password, .session_secret).
/// </summary>
public static class PostgresSnapshot
{
    public static void CopyInto(KestrelOptions options, string snapshot)
    {
        using (PrivateFiles.CreateNew(snapshot)) { }
        using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = snapshot, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        target.Open();
        target.Execute("PRAGMA auto_vacuum = INCREMENTAL"); // as a kestrel.db made by the server has (Database.UseIncrementalVacuum)
        Migrations.Apply(target);

        using var source = (NpgsqlConnection)new Database(options).Connect();
        if (!Migrations.IsCurrent(source))
            throw new SnapshotException($"{Database.Describe(options)} does not have the schema this Kestrel writes archives of; run this Kestrel's 'kestrel project list' once to migrate it, then back up.");
        using var read = source.BeginTransaction(IsolationLevel.RepeatableRead);
        source.Execute("SET TRANSACTION READ ONLY", transaction: read);
        using var write = target.BeginTransaction();
        var tables = target.Query<string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY name", transaction: write).ToList();
        // SQLite here enforces foreign keys, which all point at projects: projects go first.
        foreach (var table in tables.OrderBy(t => t != "projects"))
            CopyTable(table, source, read, target, write);
        write.Commit();
    }

    private static void CopyTable(string table, NpgsqlConnection source, NpgsqlTransaction read, SqliteConnection target, SqliteTransaction write)
    {
        // Names come from our own schema, not from input; quoted all the same.
        var columns = target.Query<string>("SELECT name FROM pragma_table_info(@table) ORDER BY cid", new { table }, write).ToList();
        var list = string.Join(", ", columns.Select(c => $"\"{c}\""));
        using var insert = target.CreateCommand();
        insert.Transaction = write;
        insert.CommandText = $"INSERT INTO \"{table}\" ({list}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";
        var parameters = columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter("@p" + i, null))).ToArray();
        insert.Prepare();

        using var select = new NpgsqlCommand($"SELECT {list} FROM \"{table}\"", source, read);
        using var rows = select.ExecuteReader();
        while (rows.Read())
        {
            for (var i = 0; i < parameters.Length; i++) parameters[i].Value = rows.IsDBNull(i) ? DBNull.Value : rows.GetValue(i);
            insert.ExecuteNonQuery();
        }
    }
}
