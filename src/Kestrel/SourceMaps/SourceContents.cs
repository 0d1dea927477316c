using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Kestrel.SourceMaps;

/// <summary>
/// The bytes of maps and release files in PostgreSQL mode: content-addressed by SHA-256 (one copy however many files,
/// releases or projects share it) and split into rows of <see cref="ChunkBytes"/>, so they are streamed in and out a
/// chunk at a time: a backup never holds a whole file, and no single message to the server carries more than a chunk.
/// (On SQLite the files stay in the data directory, as PRODUCT §1 says; nothing here runs there.)
/// </summary>
/// <remarks>
/// Contents are written in a transaction of their own, before the upload's index rows go through the writer, like the
/// temporary files on SQLite: the writer's transaction never waits on megabytes, and a crash in between leaves
/// content nobody names, which <see cref="Sweep"/> removes later. The foreign key from <c>source_files.sha256</c>
/// guarantees the other way round: an index row never names content that is gone.
/// </remarks>
public static class SourceContents
{
    /// <summary>1 MiB: large enough that a map of tens of MB is a few dozen rows, small enough to stay out of the large-object heap's worst.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Content nobody names is swept only after this long, so an upload between its two transactions keeps its content.</summary>
    public const long SweepAfterMs = 10 * 60 * 1000;

    public static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static string Sha256(Stream content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Stores the content unless it is there already (then only marks it as just used), in its own transaction.</summary>
    public static void Store(NpgsqlConnection connection, string sha256, Stream content, long size, long nowMs)
    {
        using var transaction = connection.BeginTransaction();
        Store(connection, transaction, sha256, content, size, nowMs);
        transaction.Commit();
    }

    /// <summary>
    /// In the caller's transaction. Two nodes storing the same new content at once: the second waits on the first's
    /// unique key, then finds the row and writes no chunks; if the first rolls back, the second writes them.
    /// </summary>
    public static void Store(NpgsqlConnection connection, NpgsqlTransaction transaction, string sha256, Stream content, long size, long nowMs)
    {
        var inserted = connection.ExecuteScalar<bool>("""
            INSERT INTO source_contents (sha256, size, stored_at) VALUES (@sha256, @size, @nowMs)
            ON CONFLICT (sha256) DO UPDATE SET stored_at = excluded.stored_at
            RETURNING xmax = 0
            """, new { sha256, size, nowMs }, transaction);
        if (!inserted) return;
        using var insert = new NpgsqlCommand("INSERT INTO source_content_chunks (sha256, seq, data) VALUES (@sha256, @seq, @data)", connection, transaction);
        insert.Parameters.AddWithValue("sha256", sha256);
        var seq = insert.Parameters.AddWithValue("seq", 0L);
        var data = insert.Parameters.Add(new NpgsqlParameter("data", NpgsqlTypes.NpgsqlDbType.Bytea));
        var buffer = new byte[Math.Min(ChunkBytes, Math.Max(1, size))];
        long written = 0;
        for (long i = 0; ; i++)
        {
            var read = content.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read == 0 && i > 0) break;
            seq.Value = i;
            data.Value = read == buffer.Length ? buffer : buffer[..read];
            insert.ExecuteNonQuery();
            written += read;
            if (read < buffer.Length) break;
        }
        if (written != size) throw new InvalidOperationException($"Content {sha256} gave {written} bytes, not the {size} announced.");
    }

    /// <summary>The whole content (to be parsed as a map), or null when there is none with that hash.</summary>
    public static byte[]? Read(DbConnection connection, string sha256)
    {
        var size = connection.ExecuteScalar<long?>("SELECT size FROM source_contents WHERE sha256 = @sha256", new { sha256 });
        if (size is null) return null;
        var content = new byte[size.Value];
        using var stream = new MemoryStream(content);
        CopyTo(connection, null, sha256, stream);
        return stream.Position == content.Length ? content : null;
    }

    /// <summary>Writes the content to <paramref name="destination"/> a chunk at a time, within <paramref name="transaction"/>'s snapshot if given.</summary>
    /// <returns>the bytes written</returns>
    public static long CopyTo(DbConnection connection, DbTransaction? transaction, string sha256, Stream destination)
    {
        using var select = connection.CreateCommand();
        select.Transaction = transaction;
        select.CommandText = "SELECT data FROM source_content_chunks WHERE sha256 = @sha256 ORDER BY seq";
        var parameter = select.CreateParameter();
        parameter.ParameterName = "sha256";
        parameter.Value = sha256;
        select.Parameters.Add(parameter);
        using var rows = select.ExecuteReader(System.Data.CommandBehavior.SequentialAccess);
        long written = 0;
        var buffer = new byte[81920];
        while (rows.Read())
        {
            using var chunk = rows.GetStream(0);
            int read;
            while ((read = chunk.Read(buffer)) > 0)
            {
                destination.Write(buffer, 0, read);
                written += read;
            }
        }
        return written;
    }

    /// <summary>
    /// Removes content that no file names any more and that no upload stored in the last <see cref="SweepAfterMs"/>. Best
    /// effort: if another node's upload names it meanwhile, the foreign key refuses the delete and the content stays.
    /// </summary>
    public static void Sweep(NpgsqlConnection connection, long nowMs, ILogger logger)
    {
        try
        {
            var removed = connection.Execute("""
                DELETE FROM source_contents c
                WHERE c.stored_at < @before AND NOT EXISTS (SELECT 1 FROM source_files f WHERE f.sha256 = c.sha256)
                """, new { before = nowMs - SweepAfterMs });
            if (removed > 0) logger.LogInformation("Removed {Count} source-map contents no file names any more", removed);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            logger.LogDebug("Sweeping source-map contents met a new upload; trying again at the next change: {Message}", e.Message);
        }
    }
}
