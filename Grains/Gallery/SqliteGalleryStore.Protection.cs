using System.Globalization;
using System.Text;
using FaceOrleans.Grains.Protection;
using Microsoft.Data.Sqlite;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Sealing: each face, photo and subject row records the data key that sealed it (<c>key_id</c>, null for a row in the
/// clear), so the background sweep finds what to re-seal by index and the status route counts rows per key. The
/// tenants' wrapped data keys live in <c>gallery_keys</c>, deleted with the tenant's rows in one transaction.
/// </summary>
public sealed partial class SqliteGalleryStore
{
    private const int KeySchemaVersion = 2;

    // Each sealed kind: its table, its row id, its sealed columns and what the row's associated data names.
    private static readonly SealedTable[] SealedTables =
    [
        new("faces", "gallery_faces", "face_id", ["embedding"], "subject_id"),
        new("photos", "gallery_photos", "face_id", ["photo"], null),
        new("subjects", "gallery_subjects", "subject_id", ["display_name", "metadata"], null),
    ];

    public GalleryCipher? Cipher { get; }

    public Task<IReadOnlyList<WrappedDataKey>> GetDataKeysAsync(string tenant) => Run(connection =>
    {
        using var select = Command(connection, "SELECT key_id, wrapped, master_key_id, created_utc FROM gallery_keys WHERE tenant = $tenant ORDER BY key_id", tenant);
        using var reader = select.ExecuteReader();
        var keys = new List<WrappedDataKey>();
        while (reader.Read())
        {
            keys.Add(ReadKey(reader, 0));
        }

        return (IReadOnlyList<WrappedDataKey>)keys;
    });

    public Task<bool> AddDataKeyAsync(string tenant, WrappedDataKey key) => Run(connection =>
    {
        using var insert = Command(connection, "INSERT INTO gallery_keys VALUES ($tenant, $id, $wrapped, $master, $created) ON CONFLICT DO NOTHING", tenant);
        insert.Parameters.AddWithValue("$id", key.Id);
        insert.Parameters.AddWithValue("$wrapped", key.Wrapped);
        insert.Parameters.AddWithValue("$master", key.MasterKeyId);
        insert.Parameters.AddWithValue("$created", key.CreatedUtc.ToString("O", CultureInfo.InvariantCulture));
        return insert.ExecuteNonQuery() == 1;
    });

    public Task<(string Tenant, WrappedDataKey Key)?> AnyDataKeyAsync() => Run(connection =>
    {
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT tenant, key_id, wrapped, master_key_id, created_utc FROM gallery_keys LIMIT 1";
        using var reader = select.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), ReadKey(reader, 1)) : ((string, WrappedDataKey)?)null;
    });

    public Task<IReadOnlyList<string>> TenantsToSealAsync() => Run(connection =>
    {
        // Rows in the clear (only while sealing is on: off, they are written so on purpose), or under a key older
        // than their tenant's newest; each probe is a seek in the (tenant, key_id) indexes.
        var seal = Cipher is { Enabled: true };
        var tenants = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var table in SealedTables)
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"""
                SELECT DISTINCT t.tenant FROM {table.Table} t LEFT JOIN (SELECT tenant, MAX(key_id) AS active FROM gallery_keys GROUP BY tenant) k ON k.tenant = t.tenant
                WHERE (t.key_id IS NULL AND $seal) OR t.key_id < k.active
                """;
            select.Parameters.AddWithValue("$seal", seal);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                tenants.Add(reader.GetString(0));
            }
        }

        return (IReadOnlyList<string>)tenants.ToList();
    });

    public async Task<int> SealBatchAsync(string tenant, int maxRows)
    {
        if (Cipher is null || (await Cipher.ForReadAsync(tenant) is null && !Cipher.Enabled))
        {
            return 0;
        }

        var ring = Cipher.Enabled ? (await Cipher.ForWriteAsync(tenant))! : (await Cipher.ForReadAsync(tenant))!;
        return await Run(connection =>
        {
            using var transaction = connection.BeginTransaction();
            var sealedRows = 0;
            foreach (var table in SealedTables)
            {
                sealedRows += SealRows(connection, transaction, ring, tenant, table, maxRows - sealedRows, Cipher.Enabled);
                if (sealedRows >= maxRows)
                {
                    break;
                }
            }

            transaction.Commit();
            return sealedRows;
        });
    }

    public Task<IReadOnlyList<SealedRows>> CountSealedRowsAsync(string tenant) => Run(connection =>
    {
        var counts = new List<SealedRows>();
        foreach (var table in SealedTables)
        {
            using var select = Command(connection, $"SELECT key_id, COUNT(*) FROM {table.Table} WHERE tenant = $tenant GROUP BY key_id ORDER BY key_id", tenant);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                counts.Add(new SealedRows(reader.IsDBNull(0) ? null : reader.GetInt32(0), table.Kind, reader.GetInt64(1)));
            }
        }

        return (IReadOnlyList<SealedRows>)counts;
    });

    /// <summary>
    /// Re-seals up to <paramref name="limit"/> rows of one table not under the ring's active key: each update names the
    /// key it read, so a row another silo re-sealed or a delete removed meanwhile is left alone.
    /// </summary>
    private static int SealRows(SqliteConnection connection, SqliteTransaction transaction, DataKeyRing ring, string tenant, SealedTable table, int limit, bool sealClear)
    {
        var columns = string.Join(", ", table.Columns);
        using var select = Command(connection, $"""
            SELECT {table.Id}, {table.Extra ?? "NULL"}, key_id, {columns} FROM {table.Table}
            WHERE tenant = $tenant AND ((key_id IS NULL AND $clear) OR key_id < $active) LIMIT $limit
            """, tenant);
        select.Transaction = transaction;
        select.Parameters.AddWithValue("$active", ring.ActiveKeyId);
        select.Parameters.AddWithValue("$clear", sealClear);
        select.Parameters.AddWithValue("$limit", limit);
        var rows = new List<(string Id, object Key, object?[] Values)>();
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                var (id, extra) = (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
                var values = new object?[table.Columns.Length];
                for (var c = 0; c < values.Length; c++)
                {
                    var row = table.Row(id, extra, c);
                    values[c] = reader.IsDBNull(3 + c) ? null : ring.Seal(OpenedBytes(ring, reader, 3 + c, 2, row), row);
                }

                rows.Add((id, reader.GetValue(2), values));
            }
        }

        var assignments = string.Join(", ", table.Columns.Select((column, c) => $"{column} = $v{c}"));
        using var update = Command(connection, $"UPDATE {table.Table} SET {assignments}, key_id = $active WHERE tenant = $tenant AND {table.Id} = $id AND key_id IS $old", tenant);
        update.Transaction = transaction;
        update.Parameters.AddWithValue("$active", ring.ActiveKeyId);
        var idParameter = update.Parameters.Add("$id", SqliteType.Text);
        var old = update.Parameters.Add("$old", SqliteType.Integer);
        var valueParameters = table.Columns.Select((_, c) => update.Parameters.Add($"$v{c}", SqliteType.Blob)).ToArray();
        foreach (var (id, key, values) in rows)
        {
            (idParameter.Value, old.Value) = (id, key);
            for (var c = 0; c < values.Length; c++)
            {
                valueParameters[c].Value = values[c] ?? DBNull.Value;
            }

            update.ExecuteNonQuery();
        }

        return rows.Count;
    }

    /// <summary>Schema version 2: the sealed tables record each row's key id (null: in the clear), indexed per tenant.</summary>
    private static void MigrateKeyIds(SqliteConnection connection)
    {
        using var version = connection.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        if ((long)version.ExecuteScalar()! >= KeySchemaVersion)
        {
            return;
        }

        using var transaction = connection.BeginTransaction();
        foreach (var table in SealedTables)
        {
            using var alter = connection.CreateCommand();
            alter.Transaction = transaction;
            alter.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table.Table}') WHERE name = 'key_id'";
            if ((long)alter.ExecuteScalar()! == 0)
            {
                alter.CommandText = $"ALTER TABLE {table.Table} ADD COLUMN key_id INTEGER";
                alter.ExecuteNonQuery();
            }

            alter.CommandText = $"CREATE INDEX IF NOT EXISTS {table.Table}_by_key ON {table.Table} (tenant, key_id)";
            alter.ExecuteNonQuery();
        }

        version.Transaction = transaction;
        version.CommandText = $"PRAGMA user_version = {KeySchemaVersion}";
        version.ExecuteNonQuery();
        transaction.Commit();
    }

    private async Task<DataKeyRing?> WriteRingAsync(string tenant) => Cipher is null ? null : await Cipher.ForWriteAsync(tenant);

    private async Task<DataKeyRing?> ReadRingAsync(string tenant) => Cipher is null ? null : await Cipher.ForReadAsync(tenant);

    private static object KeyOf(DataKeyRing? ring) => ring is null ? DBNull.Value : ring.ActiveKeyId;

    private static string[] FaceRow(string faceId, string subjectId) => ["face", faceId, subjectId];

    private static string[] PhotoRow(string faceId) => ["photo", faceId];

    private static string[] NameRow(string subjectId) => ["subject-name", subjectId];

    private static string[] MetadataRow(string subjectId) => ["subject-metadata", subjectId];

    private static byte[] SealEmbedding(DataKeyRing? ring, string tenant, StoredFace face)
    {
        var bytes = EmbeddingBytes.ToBytes(face.Embedding);
        return ring is null ? bytes : ring.Seal(bytes, FaceRow(face.FaceId, face.SubjectId));
    }

    private static void BindSubject(SqliteCommand command, DataKeyRing? ring, string subjectId, string? name, string? metadata)
    {
        command.Parameters.AddWithValue("$name", SealText(ring, name, NameRow(subjectId)));
        command.Parameters.AddWithValue("$metadata", SealText(ring, metadata, MetadataRow(subjectId)));
        command.Parameters.AddWithValue("$key", KeyOf(ring));
    }

    private static object SealText(DataKeyRing? ring, string? text, string[] row) =>
        text is null ? DBNull.Value : ring is null ? text : ring.Seal(Encoding.UTF8.GetBytes(text), row);

    /// <summary>Column <paramref name="value"/> as plaintext bytes: opened when the row's key id column is set.</summary>
    private static byte[] OpenedBytes(DataKeyRing? ring, SqliteDataReader reader, int value, int keyId, string[] row) => reader.GetValue(value) switch
    {
        byte[] bytes when !reader.IsDBNull(keyId) => (ring ?? throw new GalleryStoreUnavailableException("A sealed row has no data key loaded; retry.")).Open(bytes, row),
        byte[] bytes => bytes,
        string text => Encoding.UTF8.GetBytes(text),
        var other => throw new InvalidDataException($"Unexpected {other.GetType().Name} in a sealed column."),
    };

    private static string? OpenedText(DataKeyRing? ring, SqliteDataReader reader, int value, int keyId, string[] row) =>
        reader.IsDBNull(value) ? null : Encoding.UTF8.GetString(OpenedBytes(ring, reader, value, keyId, row));

    private static WrappedDataKey ReadKey(SqliteDataReader reader, int at) => new(
        reader.GetInt32(at), (byte[])reader[at + 1], reader.GetString(at + 2), DateTimeOffset.Parse(reader.GetString(at + 3), CultureInfo.InvariantCulture));

    private sealed record SealedTable(string Kind, string Table, string Id, string[] Columns, string? Extra)
    {
        public string[] Row(string id, string? extra, int column) => Kind switch
        {
            "faces" => FaceRow(id, extra!),
            "photos" => PhotoRow(id),
            _ => column == 0 ? NameRow(id) : MetadataRow(id),
        };
    }
}
