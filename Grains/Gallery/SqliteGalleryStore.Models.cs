using FaceOrleans.Grains.Protection;
using FaceOrleans.Vision;
using Microsoft.Data.Sqlite;

namespace FaceOrleans.Grains.Gallery;

/// <summary>The model columns of the face rows: how they are written, read, migrated into an older file and replaced by a re-embed.</summary>
public sealed partial class SqliteGalleryStore
{
    private const int SchemaVersion = 1;

    /// <summary>
    /// Gives a file from before model identity its model columns and attributes each old row, by its embedding's
    /// dimension, to the recognizer <paramref name="legacy"/> names; once, in one transaction, then the file is version 1.
    /// </summary>
    private static void Migrate(SqliteConnection connection, LegacyEmbeddings legacy)
    {
        using var version = connection.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        if ((long)version.ExecuteScalar()! >= SchemaVersion)
        {
            return;
        }

        using var transaction = connection.BeginTransaction();
        using var columns = connection.CreateCommand();
        columns.Transaction = transaction;
        columns.CommandText = "SELECT COUNT(*) FROM pragma_table_info('gallery_faces') WHERE name = 'model'";
        if ((long)columns.ExecuteScalar()! == 0)
        {
            columns.CommandText = """
                ALTER TABLE gallery_faces ADD COLUMN model TEXT;
                ALTER TABLE gallery_faces ADD COLUMN model_version TEXT;
                ALTER TABLE gallery_faces ADD COLUMN dimension INTEGER;
                """;
            columns.ExecuteNonQuery();
        }

        using var sizes = connection.CreateCommand();
        sizes.Transaction = transaction;
        sizes.CommandText = "SELECT DISTINCT length(embedding) / 4 FROM gallery_faces WHERE model IS NULL";
        var dimensions = new List<int>();
        using (var reader = sizes.ExecuteReader())
        {
            while (reader.Read())
            {
                dimensions.Add(reader.GetInt32(0));
            }
        }

        foreach (var dimension in dimensions)
        {
            using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE gallery_faces SET model = $model, model_version = $version, dimension = $dimension
                WHERE model IS NULL AND length(embedding) = $dimension * 4
                """;
            BindModel(update, legacy.For(dimension));
            update.ExecuteNonQuery();
        }

        version.Transaction = transaction;
        version.CommandText = $"PRAGMA user_version = {SchemaVersion}";
        version.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>
    /// Gives faces of <paramref name="shard"/> new embeddings in place (a re-embed), each with its recognizer; a face
    /// deleted meanwhile is skipped. One transaction: the shard's rows are all of the old model or all of the new.
    /// </summary>
    public Task<int> ReplaceEmbeddingsAsync(string tenant, int shard, IReadOnlyList<StoredFace> faces) => ForEachFaceAsync(tenant, shard, """
        UPDATE gallery_faces SET embedding = $embedding, model = $model, model_version = $version, dimension = $dimension, key_id = $key
        WHERE tenant = $tenant AND shard = $shard AND face_id = $face
        """, faces);

    /// <summary>
    /// Runs <paramref name="sql"/> once per face of <paramref name="shard"/>, in one transaction, each face bound as
    /// <c>$face</c>, <c>$subject</c>, <c>$embedding</c> and its model; the rows it changed.
    /// </summary>
    private async Task<int> ForEachFaceAsync(string tenant, int shard, string sql, IReadOnlyList<StoredFace> faces)
    {
        var ring = await WriteRingAsync(tenant);
        return await Run(connection => ForEachFace(connection, ring, tenant, shard, sql, faces));
    }

    private static int ForEachFace(SqliteConnection connection, DataKeyRing? ring, string tenant, int shard, string sql, IReadOnlyList<StoredFace> faces)
    {
        using var transaction = connection.BeginTransaction();
        using var command = Command(connection, sql, tenant);
        command.Transaction = transaction;
        command.Parameters.AddWithValue("$shard", shard);
        var face = command.Parameters.Add("$face", SqliteType.Text);
        var subject = command.Parameters.Add("$subject", SqliteType.Text);
        var embedding = command.Parameters.Add("$embedding", SqliteType.Blob);
        var model = command.Parameters.Add("$model", SqliteType.Text);
        var version = command.Parameters.Add("$version", SqliteType.Text);
        var dimension = command.Parameters.Add("$dimension", SqliteType.Integer);
        command.Parameters.AddWithValue("$key", KeyOf(ring));
        var changed = 0;
        foreach (var stored in faces)
        {
            (face.Value, subject.Value, embedding.Value) = (stored.FaceId, stored.SubjectId, SealEmbedding(ring, tenant, stored));
            (model.Value, version.Value, dimension.Value) = (stored.Model.Name, stored.Model.Version, stored.Model.Dimension);
            changed += command.ExecuteNonQuery();
        }

        transaction.Commit();
        return changed;
    }

    private const string StoredColumns = "face_id, subject_id, embedding, model, model_version, dimension, key_id";

    private static StoredFace ReadFace(SqliteDataReader reader, DataKeyRing? ring, string tenant)
    {
        var (faceId, subjectId) = (reader.GetString(0), reader.GetString(1));
        return new StoredFace(faceId, subjectId, EmbeddingBytes.FromBytes(OpenedBytes(ring, reader, 2, 6, FaceRow(faceId, subjectId))),
            new EmbeddingModel(reader.GetString(3), reader.GetString(4), reader.GetInt32(5)));
    }

    private static void BindModel(SqliteCommand command, EmbeddingModel model)
    {
        command.Parameters.AddWithValue("$model", model.Name);
        command.Parameters.AddWithValue("$version", model.Version);
        command.Parameters.AddWithValue("$dimension", model.Dimension);
    }
}
