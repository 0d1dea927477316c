using System.Data;
using Dapper;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kestrel.Backup;

/// <summary>
/// <c>kestrel backup</c> on PostgreSQL writes the same archive as on SQLite: a self-contained kestrel.db, here built from one
/// consistent snapshot of the PostgreSQL database (REPEATABLE READ, READ ONLY), and the maps and release files, read from
/// the database in the same snapshot, so the archive's index and files agree. The copy gets SQLite's own migrations, then
/// every table they make is copied row by row, streaming, so memory stays bounded whatever the database's size; the two
/// engines' tables have the same names and columns (a test holds them to it). Not copied as tables: the secrets (the
/// archive leaves out .admin_password and .session_secret on SQLite too) and the file contents, which go into the archive
/// as files under sourcemaps/, where SQLite keeps them.
/// </summary>
public sealed class PostgresSnapshot : IDisposable
{
    /// <summary>A file to put in the archive: its path below sourcemaps/, content and size.</summary>
    public sealed record StoredFile(string FilePath, string Sha256, long Size, long UploadedAt);

    private readonly NpgsqlConnection source;
    private readonly NpgsqlTransaction read;

    private PostgresSnapshot(NpgsqlConnection source, NpgsqlTransaction read) => (this.source, this.read) = (source, read);

    public static PostgresSnapshot Begin(KestrelOptions options)
    {
        var source = (NpgsqlConnection)new Database(options).Connect();
        try
        {
            if (!Migrations.IsCurrent(source))
                throw new SnapshotException($"{Database.Describe(options)} does not have the schema this Kestrel writes archives of; run this Kestrel's 'kestrel project list' once to migrate it, then back up.");
            var read = source.BeginTransaction(IsolationLevel.RepeatableRead);
            source.Execute("SET TRANSACTION READ ONLY", transaction: read);
            return new PostgresSnapshot(source, read);
        }
        catch { source.Dispose(); throw; }
    }

    public void CopyInto(string snapshot, BackupProgress? progress = null)
    {
        using (PrivateFiles.CreateNew(snapshot)) { }
        using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = snapshot, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        target.Open();
        target.Execute("PRAGMA auto_vacuum = INCREMENTAL"); // as a kestrel.db made by the server has (Database.UseIncrementalVacuum)
        Migrations.Apply(target);

        using var write = target.BeginTransaction();
        var tables = target.Query<string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY name", transaction: write).ToList();
        // SQLite here enforces foreign keys, which all point at projects: projects go first.
        var done = 0;
        foreach (var table in tables.OrderBy(t => t != "projects"))
        {
            progress?.Count("Copying tables", done, tables.Count, "tables");
            CopyTable(table, source, read, target, write);
            progress?.Count("Copying tables", ++done, tables.Count, "tables");
        }
        write.Commit();
    }

    /// <summary>Every indexed file whose content is stored, in path order (a few hundred bytes each, however big the files).</summary>
    public IReadOnlyList<StoredFile> Files() => source.Query<StoredFile>("""
        SELECT f.file_path AS FilePath, f.sha256 AS Sha256, c.size AS Size, f.uploaded_at AS UploadedAt
        FROM source_files f JOIN source_contents c ON c.sha256 = f.sha256 ORDER BY f.file_path
        """, transaction: read).AsList();

    /// <summary>Streams one file's content, as of the snapshot, into <paramref name="destination"/>.</summary>
    public long CopyContent(string sha256, Stream destination) => SourceMaps.SourceContents.CopyTo(source, read, sha256, destination);

    public void Dispose()
    {
        read.Dispose();
        source.Dispose();
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
