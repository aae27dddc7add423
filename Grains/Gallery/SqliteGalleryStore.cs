using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FaceOrleans.Vision;
using FaceOrleans.Grains.Protection;
using FaceOrleans.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Gallery records in SQLite (the embedded default): a row per subject and a row per face, with the faces'
/// foreign key cascading a subject's deletion, and a row per gallery layout. Two indexes on a face's shard:
/// (tenant, shard) yields a shard's rows in storage order for its first load, (tenant, shard, face_id)
/// lists a shard's ids without touching the 2 kB rows, to reconcile a snapshot. Each face row records the
/// recognizer of its embedding (model, model_version, dimension); a file from before model identity gets those
/// columns once, at open, with its rows attributed by <see cref="LegacyEmbeddings"/> (schema version 1). Embeddings,
/// photos and subjects' names and metadata are sealed under the tenant's data key when a key provider is given
/// (SqliteGalleryStore.Protection.cs; schema version 2 adds the rows' key ids).
/// </summary>
public sealed partial class SqliteGalleryStore : IProtectedGalleryStore
{
    // How long a delete waits for readers to let go of the write-ahead log it must empty.
    private static readonly TimeSpan ErasePatience = TimeSpan.FromSeconds(10);

    private const string FaceColumns = "tenant, face_id, shard, subject_id, embedding, model, model_version, dimension, key_id";

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _clock;

    /// <param name="legacy">Names the recognizer of rows written before model identity; they are rewritten with it once.</param>
    /// <param name="keys">Wraps the tenants' data keys; null stores and reads rows in the clear only.</param>
    /// <param name="seal">Seal new rows (false only to measure what sealing costs; sealed rows still open).</param>
    /// <param name="clock">Stamps each face's enrollment for retention (<see cref="RetentionClock"/>); the system clock by default.</param>
    public SqliteGalleryStore(string databasePath, LegacyEmbeddings? legacy = null, IKeyProvider? keys = null, bool seal = true, TimeProvider? clock = null)
    {
        Cipher = keys is null ? null : new GalleryCipher(keys, this, seal);
        legacy ??= LegacyEmbeddings.None;
        _clock = clock ?? TimeProvider.System;
        // A face row is about 2.1 kB: 4 KiB pages hold one, 16 KiB pages seven. The page size only takes
        // effect on a new file, before the switch to WAL, hence a file of the gallery's own.
        _database = new SqliteDatabase(databasePath, """
            PRAGMA page_size = 16384;
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS gallery_subjects (
                tenant TEXT NOT NULL, subject_id TEXT NOT NULL, display_name TEXT, metadata TEXT, created_utc TEXT NOT NULL,
                PRIMARY KEY (tenant, subject_id));
            CREATE TABLE IF NOT EXISTS gallery_faces (
                tenant TEXT NOT NULL, face_id TEXT NOT NULL, shard INTEGER NOT NULL, subject_id TEXT NOT NULL, embedding BLOB NOT NULL,
                model TEXT, model_version TEXT, dimension INTEGER,
                PRIMARY KEY (tenant, face_id),
                FOREIGN KEY (tenant, subject_id) REFERENCES gallery_subjects (tenant, subject_id) ON DELETE CASCADE);
            CREATE TABLE IF NOT EXISTS gallery_photos (
                tenant TEXT NOT NULL, face_id TEXT NOT NULL, photo BLOB NOT NULL,
                PRIMARY KEY (tenant, face_id),
                FOREIGN KEY (tenant, face_id) REFERENCES gallery_faces (tenant, face_id) ON DELETE CASCADE);
            CREATE TABLE IF NOT EXISTS gallery_face_times (
                tenant TEXT NOT NULL, face_id TEXT NOT NULL, enrolled_ms INTEGER NOT NULL,
                PRIMARY KEY (tenant, face_id),
                FOREIGN KEY (tenant, face_id) REFERENCES gallery_faces (tenant, face_id) ON DELETE CASCADE);
            CREATE TABLE IF NOT EXISTS gallery_layouts (
                tenant TEXT NOT NULL PRIMARY KEY, first_shard INTEGER NOT NULL, shards INTEGER NOT NULL,
                target_first_shard INTEGER, target_shards INTEGER);
            CREATE INDEX IF NOT EXISTS gallery_faces_by_shard ON gallery_faces (tenant, shard);
            CREATE INDEX IF NOT EXISTS gallery_face_ids_by_shard ON gallery_faces (tenant, shard, face_id);
            CREATE INDEX IF NOT EXISTS gallery_faces_by_subject ON gallery_faces (tenant, subject_id);
            CREATE INDEX IF NOT EXISTS gallery_subjects_by_age ON gallery_subjects (tenant, created_utc, subject_id);
            CREATE TABLE IF NOT EXISTS gallery_keys (
                tenant TEXT NOT NULL, key_id INTEGER NOT NULL, wrapped BLOB NOT NULL, master_key_id TEXT NOT NULL, created_utc TEXT NOT NULL,
                PRIMARY KEY (tenant, key_id));
            """, foreignKeys: true, migrate: connection =>
            {
                Migrate(connection, legacy);
                MigrateKeyIds(connection);
            });
    }

    public async Task<bool> CreateSubjectAsync(string tenant, SubjectInfo subject)
    {
        var ring = await WriteRingAsync(tenant);
        return await Run(connection =>
        {
            using var insert = Command(connection, """
                INSERT INTO gallery_subjects (tenant, subject_id, display_name, metadata, created_utc, key_id)
                VALUES ($tenant, $id, $name, $metadata, $created, $key) ON CONFLICT DO NOTHING
                """, tenant);
            insert.Parameters.AddWithValue("$id", subject.Id);
            BindSubject(insert, ring, subject.Id, subject.DisplayName, subject.Metadata is null ? null : JsonSerializer.Serialize(subject.Metadata));
            insert.Parameters.AddWithValue("$created", subject.CreatedUtc.ToString("O", CultureInfo.InvariantCulture));
            return insert.ExecuteNonQuery() == 1;
        });
    }

    public async Task<SubjectInfo?> GetSubjectAsync(string tenant, string subjectId) =>
        (await Query(tenant, "AND s.subject_id = $id", command => command.Parameters.AddWithValue("$id", subjectId))).FirstOrDefault();

    public async Task<(IReadOnlyList<SubjectInfo> Items, long Total)> ListSubjectsAsync(string tenant, int offset, int limit)
    {
        var ring = await ReadRingAsync(tenant);
        return await Run(connection =>
        {
            using var count = Command(connection, "SELECT COUNT(*) FROM gallery_subjects WHERE tenant = $tenant", tenant);
            var total = (long)count.ExecuteScalar()!;
            return ((IReadOnlyList<SubjectInfo>)ReadSubjects(connection, ring, tenant, "ORDER BY s.created_utc, s.subject_id LIMIT $limit OFFSET $offset", command =>
            {
                command.Parameters.AddWithValue("$limit", limit);
                command.Parameters.AddWithValue("$offset", offset);
            }), total);
        });
    }

    public Task<bool> DeleteSubjectAsync(string tenant, string subjectId) => Run(connection =>
    {
        using var delete = Command(connection, "DELETE FROM gallery_subjects WHERE tenant = $tenant AND subject_id = $id", tenant);
        delete.Parameters.AddWithValue("$id", subjectId);
        return delete.ExecuteNonQuery() == 1;
    });

    public async Task DeleteTenantAsync(string tenant)
    {
        await DeleteTenantRowsAsync(tenant);
        if (Cipher is not null)
        {
            await Cipher.DeleteTenantAsync(tenant);
        }
    }

    // The data keys go in the same transaction as the rows they sealed: crypto-shredding (docs/data-protection.md).
    private Task<bool> DeleteTenantRowsAsync(string tenant) => Run(connection =>
    {
        using var transaction = connection.BeginTransaction();
        foreach (var table in (string[])["gallery_photos", "gallery_face_times", "gallery_faces", "gallery_subjects", "gallery_layouts", "gallery_keys"])
        {
            using var delete = Command(connection, $"DELETE FROM {table} WHERE tenant = $tenant", tenant);
            delete.Transaction = transaction;
            delete.ExecuteNonQuery();
        }

        transaction.Commit();
        return true;
    });

    public async Task<bool> AddFaceAsync(string tenant, int shard, StoredFace face, byte[]? photo = null)
    {
        var ring = await WriteRingAsync(tenant);
        return await Run(connection => AddFace(connection, ring, tenant, shard, face, photo));
    }

    private bool AddFace(SqliteConnection connection, DataKeyRing? ring, string tenant, int shard, StoredFace face, byte[]? photo)
    {
        // Photos live in their own table so that loading a shard never reads them. The insert checks the
        // layout in the same statement, so no face lands in a shard a running re-shard is emptying.
        using var transaction = connection.BeginTransaction();
        using var insert = Command(connection, $"""
            INSERT INTO gallery_faces ({FaceColumns}) SELECT $tenant, $face, $shard, $subject, $embedding, $model, $version, $dimension, $key
            WHERE NOT EXISTS (SELECT 1 FROM gallery_layouts l WHERE l.tenant = $tenant
                AND NOT ($shard >= COALESCE(l.target_first_shard, l.first_shard)
                     AND $shard < COALESCE(l.target_first_shard, l.first_shard) + COALESCE(l.target_shards, l.shards)))
            """, tenant);
        insert.Transaction = transaction;
        insert.Parameters.AddWithValue("$face", face.FaceId);
        insert.Parameters.AddWithValue("$shard", shard);
        insert.Parameters.AddWithValue("$subject", face.SubjectId);
        insert.Parameters.AddWithValue("$embedding", SealEmbedding(ring, tenant, face));
        insert.Parameters.AddWithValue("$key", KeyOf(ring));
        BindModel(insert, face.Model);
        try
        {
            if (insert.ExecuteNonQuery() == 0)
            {
                return false;
            }
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == 787)
        {
            // SQLITE_CONSTRAINT_FOREIGNKEY: the subject was deleted while its face was being embedded.
            throw new RequestRejectedException(RejectionCode.UnknownSubject, null, $"Subject '{face.SubjectId}' does not exist.");
        }

        StampEnrollment(connection, transaction, tenant, face.FaceId);
        if (photo is not null)
        {
            using var keep = Command(connection, "INSERT INTO gallery_photos (tenant, face_id, photo, key_id) VALUES ($tenant, $face, $photo, $key)", tenant);
            keep.Transaction = transaction;
            keep.Parameters.AddWithValue("$face", face.FaceId);
            keep.Parameters.AddWithValue("$photo", ring is null ? photo : ring.Seal(photo, PhotoRow(face.FaceId)));
            keep.Parameters.AddWithValue("$key", KeyOf(ring));
            keep.ExecuteNonQuery();
        }

        transaction.Commit();
        return true;
    }

    public async Task<byte[]?> GetPhotoAsync(string tenant, string subjectId, string faceId)
    {
        var ring = await ReadRingAsync(tenant);
        return await Run(connection =>
        {
            using var select = Command(connection, """
                SELECT p.photo, p.key_id FROM gallery_photos p JOIN gallery_faces f ON f.tenant = p.tenant AND f.face_id = p.face_id
                WHERE p.tenant = $tenant AND p.face_id = $face AND f.subject_id = $subject
                """, tenant);
            select.Parameters.AddWithValue("$face", faceId);
            select.Parameters.AddWithValue("$subject", subjectId);
            using var reader = select.ExecuteReader();
            return reader.Read() ? OpenedBytes(ring, reader, 0, 1, PhotoRow(faceId)) : null;
        });
    }

    /// <summary>Stores many faces of one shard in one transaction: an import path, far faster than one enrollment at a time.</summary>
    public Task ImportFacesAsync(string tenant, int shard, IReadOnlyList<StoredFace> faces) => ForEachFaceAsync(tenant, shard,
        $"INSERT INTO gallery_faces ({FaceColumns}) VALUES ($tenant, $face, $shard, $subject, $embedding, $model, $version, $dimension, $key)", faces);

    /// <summary>Moves the write-ahead log into the database and truncates it, e.g. after a large import.</summary>
    public Task CheckpointAsync() => Run(connection => SqliteDatabase.TruncateLog(connection, TimeSpan.FromSeconds(5)));

    /// <summary>
    /// secure_delete has zeroed deleted rows in the pages a delete wrote, but the write-ahead log still holds those
    /// pages as they were: it is checkpointed into the file and truncated. Readers that hold the log back longer
    /// than the patience fail the erasure (503); the same delete sent again finishes it.
    /// </summary>
    public Task EraseRemnantsAsync() => Run(connection => SqliteDatabase.TruncateLog(connection, ErasePatience)
        ? true
        : throw new GalleryStoreUnavailableException("The gallery's write-ahead log could not be emptied after a delete (readers held it back); send the delete again."));


    /// <summary>Creates many subjects in one transaction (import path).</summary>
    public Task ImportSubjectsAsync(string tenant, IReadOnlyList<SubjectInfo> subjects) => Run(connection =>
    {
        using var transaction = connection.BeginTransaction();
        using var insert = Command(connection,
            "INSERT INTO gallery_subjects (tenant, subject_id, created_utc) VALUES ($tenant, $id, $created) ON CONFLICT DO NOTHING", tenant);
        insert.Transaction = transaction;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var created = insert.Parameters.Add("$created", SqliteType.Text);
        foreach (var subject in subjects)
        {
            id.Value = subject.Id;
            created.Value = subject.CreatedUtc.ToString("O", CultureInfo.InvariantCulture);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return true;
    });

    public Task<int?> DeleteFaceAsync(string tenant, string subjectId, string faceId) => Run(connection =>
    {
        using var delete = Command(connection,
            "DELETE FROM gallery_faces WHERE tenant = $tenant AND face_id = $face AND subject_id = $subject RETURNING shard", tenant);
        delete.Parameters.AddWithValue("$face", faceId);
        delete.Parameters.AddWithValue("$subject", subjectId);
        return delete.ExecuteScalar() is long shard ? (int?)shard : null;
    });

    public async IAsyncEnumerable<StoredFace> LoadShardAsync(string tenant, int shard, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ring = await ReadRingAsync(tenant);
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var select = Command(connection,
            $"SELECT {StoredColumns} FROM gallery_faces INDEXED BY gallery_faces_by_shard WHERE tenant = $tenant AND shard = $shard", tenant);
        select.Parameters.AddWithValue("$shard", shard);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadFace(reader, ring, tenant);
        }
    }

    public Task<long> CountFacesAsync(string tenant, int shard) => Run(connection =>
    {
        using var count = Command(connection, "SELECT COUNT(*) FROM gallery_faces INDEXED BY gallery_face_ids_by_shard WHERE tenant = $tenant AND shard = $shard", tenant);
        count.Parameters.AddWithValue("$shard", shard);
        return (long)count.ExecuteScalar()!;
    });

    public Task<IReadOnlyList<string>> ListFaceIdsAsync(string tenant, int shard, CancellationToken cancellationToken = default) => Run(connection =>
    {
        using var select = Command(connection,
            "SELECT face_id FROM gallery_faces INDEXED BY gallery_face_ids_by_shard WHERE tenant = $tenant AND shard = $shard", tenant);
        select.Parameters.AddWithValue("$shard", shard);
        using var reader = select.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return (IReadOnlyList<string>)ids;
    });

    public async Task<IReadOnlyList<StoredFace>> GetFacesAsync(string tenant, int shard, IReadOnlyCollection<string> faceIds, CancellationToken cancellationToken = default)
    {
        var ring = await ReadRingAsync(tenant);
        return await Run(connection =>
        {
            using var select = Command(connection, $"""
                SELECT {StoredColumns} FROM gallery_faces
                WHERE tenant = $tenant AND shard = $shard AND face_id IN (SELECT value FROM json_each($ids))
                """, tenant);
            select.Parameters.AddWithValue("$shard", shard);
            select.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(faceIds));
            using var reader = select.ExecuteReader();
            var faces = new List<StoredFace>();
            while (reader.Read())
            {
                faces.Add(ReadFace(reader, ring, tenant));
            }

            return (IReadOnlyList<StoredFace>)faces;
        });
    }

    private async Task<List<SubjectInfo>> Query(string tenant, string filter, Action<SqliteCommand> bind)
    {
        var ring = await ReadRingAsync(tenant);
        return await Run(connection => ReadSubjects(connection, ring, tenant, filter, bind));
    }

    private static List<SubjectInfo> ReadSubjects(SqliteConnection connection, DataKeyRing? ring, string tenant, string tail, Action<SqliteCommand> bind)
    {
        using var select = Command(connection, $"""
            SELECT s.subject_id, s.display_name, s.metadata, s.created_utc, s.key_id,
                   (SELECT COUNT(*) FROM gallery_faces f WHERE f.tenant = s.tenant AND f.subject_id = s.subject_id)
            FROM gallery_subjects s WHERE s.tenant = $tenant {tail}
            """, tenant);
        bind(select);
        using var reader = select.ExecuteReader();
        var subjects = new List<SubjectInfo>();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            var metadata = OpenedText(ring, reader, 2, 4, MetadataRow(id));
            subjects.Add(new SubjectInfo(
                id,
                OpenedText(ring, reader, 1, 4, NameRow(id)),
                metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(metadata),
                DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture),
                reader.GetInt32(5)));
        }

        return subjects;
    }

    private Task<T> Run<T>(Func<SqliteConnection, T> work) => _database.RunAsync(work);

    private static SqliteCommand Command(SqliteConnection connection, string sql, string tenant)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenant);
        return command;
    }
}
