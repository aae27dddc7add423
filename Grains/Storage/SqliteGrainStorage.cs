using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace FaceOrleans.Grains.Storage;

/// <summary>
/// Durable grain storage in one SQLite file, for the single-machine default: tenant settings survive a
/// restart with no server to run. Optimistic concurrency through a version per record, as Orleans expects.
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage
{
    private readonly string _name;
    private readonly string _serviceId;
    private readonly IGrainStorageSerializer _serializer;
    private readonly SqliteDatabase _database;

    public SqliteGrainStorage(string name, SqliteGrainStorageOptions options, IGrainStorageSerializer serializer, IOptions<ClusterOptions> cluster)
    {
        _name = name;
        _serviceId = cluster.Value.ServiceId;
        _serializer = serializer;
        // WAL lets readers and the writer proceed together and survives a crash mid-write.
        _database = new SqliteDatabase(options.DatabasePath, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS grain_state (
                service_id TEXT NOT NULL,
                state_name TEXT NOT NULL,
                grain_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                payload BLOB NOT NULL,
                PRIMARY KEY (service_id, state_name, grain_id));
            """);
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Run(connection =>
        {
            using var command = Command(connection, "SELECT version, payload FROM grain_state WHERE service_id = $service AND state_name = $state AND grain_id = $grain", stateName, grainId);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
                return;
            }

            grainState.ETag = reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.State = _serializer.Deserialize<T>(new BinaryData((byte[])reader[1]));
            grainState.RecordExists = true;
        });

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Run(connection =>
        {
            var payload = _serializer.Serialize(grainState.State).ToArray();
            long version;
            int changed;
            if (grainState.ETag is null)
            {
                version = 1;
                using var insert = Command(connection,
                    "INSERT INTO grain_state (service_id, state_name, grain_id, version, payload) VALUES ($service, $state, $grain, 1, $payload) ON CONFLICT DO NOTHING",
                    stateName, grainId);
                insert.Parameters.AddWithValue("$payload", payload);
                changed = insert.ExecuteNonQuery();
            }
            else
            {
                var expected = long.Parse(grainState.ETag, System.Globalization.CultureInfo.InvariantCulture);
                version = expected + 1;
                using var update = Command(connection,
                    "UPDATE grain_state SET version = $next, payload = $payload WHERE service_id = $service AND state_name = $state AND grain_id = $grain AND version = $expected",
                    stateName, grainId);
                update.Parameters.AddWithValue("$payload", payload);
                update.Parameters.AddWithValue("$next", version);
                update.Parameters.AddWithValue("$expected", expected);
                changed = update.ExecuteNonQuery();
            }

            if (changed == 0)
            {
                throw new InconsistentStateException(
                    $"Storage '{_name}': {grainId}/{stateName} was changed by another writer (expected version {grainState.ETag ?? "none"}).");
            }

            grainState.ETag = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        });

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Run(connection =>
        {
            using var delete = Command(connection, "DELETE FROM grain_state WHERE service_id = $service AND state_name = $state AND grain_id = $grain", stateName, grainId);
            delete.ExecuteNonQuery();
            // secure_delete zeroed the row; the log keeps its old page until emptied (a deleted tenant's record).
            _ = SqliteDatabase.TruncateLog(connection, TimeSpan.FromSeconds(5));
            grainState.ETag = null;
            grainState.RecordExists = false;
        });

    private Task Run(Action<SqliteConnection> work) => _database.RunAsync(work);

    private SqliteCommand Command(SqliteConnection connection, string sql, string stateName, GrainId grainId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$service", _serviceId);
        command.Parameters.AddWithValue("$state", stateName);
        command.Parameters.AddWithValue("$grain", grainId.ToString());
        return command;
    }
}
