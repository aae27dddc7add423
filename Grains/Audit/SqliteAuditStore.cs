using System.Runtime.CompilerServices;
using FaceOrleans.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace FaceOrleans.Grains.Audit;

/// <summary>
/// Audit trails in SQLite (the embedded default), in a file of their own beside the gallery's: an append commits
/// with SQLite's default full sync, and the trail's writes never wait on the gallery's writer lock (nor hold back
/// the checkpoint an erasure runs on the gallery's log). A row per entry keyed by (tenant, sequence), and a row per
/// tenant with its head and anchor, written in the same transaction as the entries.
/// </summary>
public sealed class SqliteAuditStore(string databasePath) : IAuditStore
{
    // How long a removal waits for readers to let go of the write-ahead log it must empty.
    private static readonly TimeSpan ErasePatience = TimeSpan.FromSeconds(10);

    private readonly SqliteDatabase _database = new(databasePath, """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS audit_entries (
            tenant TEXT NOT NULL, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, action TEXT NOT NULL,
            content TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL,
            PRIMARY KEY (tenant, seq));
        CREATE INDEX IF NOT EXISTS audit_entries_by_time ON audit_entries (tenant, time_ms);
        CREATE TABLE IF NOT EXISTS audit_heads (
            tenant TEXT NOT NULL PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, anchor_seq INTEGER NOT NULL, anchor_hash TEXT NOT NULL);
        """);

    /// <summary>The trail's file for a gallery at <paramref name="galleryPath"/>: the same name with <c>-audit</c>.</summary>
    public static string PathBeside(string galleryPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(galleryPath))!, Path.GetFileNameWithoutExtension(galleryPath) + "-audit.db");

    public Task<AuditHead> GetHeadAsync(string tenant) => _database.RunAsync(connection =>
    {
        using var command = Command(connection, "SELECT seq, hash, anchor_seq, anchor_hash FROM audit_heads WHERE tenant = $tenant", tenant);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new AuditHead(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3)) : AuditHead.Empty;
    });

    public Task AppendAsync(string tenant, IReadOnlyList<StoredAuditEntry> entries, AuditHead head) => _database.RunAsync(connection =>
    {
        using var transaction = connection.BeginTransaction();
        using var insert = Command(connection, "INSERT INTO audit_entries VALUES ($tenant, $seq, $time, $action, $content, $previous, $hash)", tenant);
        insert.Transaction = transaction;
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var time = insert.Parameters.Add("$time", SqliteType.Integer);
        var action = insert.Parameters.Add("$action", SqliteType.Text);
        var content = insert.Parameters.Add("$content", SqliteType.Text);
        var previous = insert.Parameters.Add("$previous", SqliteType.Text);
        var hash = insert.Parameters.Add("$hash", SqliteType.Text);
        foreach (var entry in entries)
        {
            (seq.Value, time.Value, action.Value, content.Value, previous.Value, hash.Value) =
                (entry.Sequence, entry.TimeMs, entry.Action, entry.Content, entry.PreviousHash, entry.Hash);
            insert.ExecuteNonQuery();
        }

        WriteHead(connection, transaction, tenant, head);
        transaction.Commit();
    });

    public Task<IReadOnlyList<StoredAuditEntry>> QueryAsync(string tenant, AuditQuery query) => _database.RunAsync(connection =>
    {
        using var command = Command(connection, """
            SELECT seq, time_ms, action, content, previous_hash, hash FROM audit_entries
            WHERE tenant = $tenant AND seq > $after
              AND ($from IS NULL OR time_ms >= $from) AND ($to IS NULL OR time_ms < $to) AND ($action IS NULL OR action = $action)
              AND ($subject IS NULL OR EXISTS (SELECT 1 FROM json_each(content, '$.record.subjects') s WHERE json_extract(s.value, '$.subject') = $subject))
            ORDER BY seq LIMIT $limit
            """, tenant);
        command.Parameters.AddWithValue("$after", query.After);
        command.Parameters.AddWithValue("$from", (object?)query.From?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        command.Parameters.AddWithValue("$to", (object?)query.To?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        command.Parameters.AddWithValue("$action", (object?)query.Action ?? DBNull.Value);
        command.Parameters.AddWithValue("$subject", (object?)query.Subject ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", query.Limit);
        using var reader = command.ExecuteReader();
        var entries = new List<StoredAuditEntry>();
        while (reader.Read())
        {
            entries.Add(ReadEntry(reader));
        }

        return (IReadOnlyList<StoredAuditEntry>)entries;
    });

    public async IAsyncEnumerable<StoredAuditEntry> ReadAllAsync(string tenant, long after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        using var command = Command(connection,
            "SELECT seq, time_ms, action, content, previous_hash, hash FROM audit_entries WHERE tenant = $tenant AND seq > $after ORDER BY seq", tenant);
        command.Parameters.AddWithValue("$after", after);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadEntry(reader);
        }
    }

    public Task RemoveThroughAsync(string tenant, long through, string hash) => _database.RunAsync(connection =>
    {
        using (var transaction = connection.BeginTransaction())
        {
            using var delete = Command(connection, "DELETE FROM audit_entries WHERE tenant = $tenant AND seq <= $through", tenant);
            delete.Transaction = transaction;
            delete.Parameters.AddWithValue("$through", through);
            delete.ExecuteNonQuery();
            using var anchor = Command(connection, "UPDATE audit_heads SET anchor_seq = $through, anchor_hash = $hash WHERE tenant = $tenant", tenant);
            anchor.Transaction = transaction;
            anchor.Parameters.AddWithValue("$through", through);
            anchor.Parameters.AddWithValue("$hash", hash);
            anchor.ExecuteNonQuery();
            transaction.Commit();
        }

        // secure_delete zeroed the rows in the file; the log still holds the pages as they were.
        if (!SqliteDatabase.TruncateLog(connection, ErasePatience))
        {
            throw new GalleryStoreUnavailableException("The audit trail's write-ahead log could not be emptied after a removal (readers held it back); it is emptied at the next one.");
        }
    });

    public Task<StoredAuditEntry?> LastBeforeAsync(string tenant, long beforeMs) => _database.RunAsync(connection =>
    {
        using var command = Command(connection, """
            SELECT seq, time_ms, action, content, previous_hash, hash FROM audit_entries
            WHERE tenant = $tenant AND time_ms < $before ORDER BY seq DESC LIMIT 1
            """, tenant);
        command.Parameters.AddWithValue("$before", beforeMs);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadEntry(reader) : null;
    });

    public Task<IReadOnlyList<string>> ListTenantsAsync() => _database.RunAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT tenant FROM audit_heads ORDER BY tenant";
        using var reader = command.ExecuteReader();
        var tenants = new List<string>();
        while (reader.Read())
        {
            tenants.Add(reader.GetString(0));
        }

        return (IReadOnlyList<string>)tenants;
    });

    private static void WriteHead(SqliteConnection connection, SqliteTransaction transaction, string tenant, AuditHead head)
    {
        using var upsert = Command(connection, """
            INSERT INTO audit_heads VALUES ($tenant, $seq, $hash, $anchor_seq, $anchor_hash)
            ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, anchor_seq = excluded.anchor_seq, anchor_hash = excluded.anchor_hash
            """, tenant);
        upsert.Transaction = transaction;
        upsert.Parameters.AddWithValue("$seq", head.Sequence);
        upsert.Parameters.AddWithValue("$hash", head.Hash);
        upsert.Parameters.AddWithValue("$anchor_seq", head.AnchorSequence);
        upsert.Parameters.AddWithValue("$anchor_hash", head.AnchorHash);
        upsert.ExecuteNonQuery();
    }

    private static StoredAuditEntry ReadEntry(SqliteDataReader reader) =>
        new(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5));

    private static SqliteCommand Command(SqliteConnection connection, string sql, string tenant)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenant);
        return command;
    }
}
