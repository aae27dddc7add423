using Microsoft.Data.Sqlite;

namespace FaceOrleans.Grains.Storage;

/// <summary>
/// One SQLite file in WAL mode: its schema created once, then a pooled connection per call. Calls run on the
/// thread pool, because Microsoft.Data.Sqlite's async methods complete synchronously and would otherwise block
/// a grain's thread on disk I/O.
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
        return connection;
    }

    private T Execute<T>(Func<SqliteConnection, T> work)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return work(connection);
    }
}
