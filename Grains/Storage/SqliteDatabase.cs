using Microsoft.Data.Sqlite;

namespace FaceOrleans.Grains.Storage;

/// <summary>
/// One SQLite file in WAL mode: its schema created once, then a pooled connection per call. Calls run on the
/// thread pool, because Microsoft.Data.Sqlite's async methods complete synchronously and would otherwise block
/// a grain's thread on disk I/O. Every connection runs with <c>secure_delete</c> on: SQLite then overwrites deleted
/// rows and freed pages with zeros instead of leaving them readable in the file (an erased face must leave no copy).
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;
    private readonly Lazy<Task> _schema;

    /// <param name="path">The file; created with its folder when missing.</param>
    /// <param name="schema">Statements run once before the first call (CREATE ... IF NOT EXISTS).</param>
    /// <param name="foreignKeys">Enforce foreign keys (SQLite leaves them off per connection by default).</param>
    /// <param name="migrate">Run once after the schema, before the first call: brings an older file's rows up to date.</param>
    public SqliteDatabase(string path, string schema, bool foreignKeys = false, Action<SqliteConnection>? migrate = null)
    {
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = fullPath, DefaultTimeout = 30, ForeignKeys = foreignKeys }.ToString();
        _schema = new Lazy<Task>(() => Task.Run(() => Execute(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = schema;
            command.ExecuteNonQuery();
            migrate?.Invoke(connection);
            return true;
        })));
    }

    public async Task<T> RunAsync<T>(Func<SqliteConnection, T> work)
    {
        await _schema.Value;
        return await Task.Run(() => Execute(work));
    }

    public Task RunAsync(Action<SqliteConnection> work) => RunAsync(connection =>
    {
        work(connection);
        return true;
    });

    /// <summary>An open connection for a streaming read; the caller disposes it.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await _schema.Value;
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        SecureDelete(connection);
        return connection;
    }

    private T Execute<T>(Func<SqliteConnection, T> work)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        SecureDelete(connection);
        return work(connection);
    }

    /// <summary>
    /// Moves the write-ahead log into the database and truncates it to zero bytes: the log keeps the page images of
    /// rows as they were before a delete, so an erasure is only complete once it is empty. A reader in the middle of
    /// a read holds the log back; the checkpoint is tried again for up to <paramref name="patience"/>.
    /// </summary>
    /// <returns>False when readers kept the log from being emptied for that long.</returns>
    public static bool TruncateLog(SqliteConnection connection, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        while (true)
        {
            using (var reader = command.ExecuteReader())
            {
                // One row: busy (1 when a reader or writer held the checkpoint back), log frames, checkpointed frames.
                if (!reader.Read() || reader.GetInt64(0) == 0)
                {
                    return true;
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }
    }

    // Per connection: the pool hands out connections opened before, and the pragma costs nothing once set.
    private static void SecureDelete(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA secure_delete = ON";
        command.ExecuteNonQuery();
    }
}
