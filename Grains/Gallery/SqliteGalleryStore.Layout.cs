using Microsoft.Data.Sqlite;

namespace FaceOrleans.Grains.Gallery;

/// <summary>The gallery's layout row and a re-shard's moves of faces between shards.</summary>
public sealed partial class SqliteGalleryStore
{
    public Task<GalleryLayout?> GetLayoutAsync(string tenant) => Run(connection =>
    {
        using var select = Command(connection,
            "SELECT first_shard, shards, target_first_shard, target_shards FROM gallery_layouts WHERE tenant = $tenant", tenant);
        using var reader = select.ExecuteReader();
        return reader.Read()
            ? new GalleryLayout(reader.GetInt32(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetInt32(3))
            : null;
    });

    public Task<bool> ReplaceLayoutAsync(string tenant, GalleryLayout? expected, GalleryLayout layout) => Run(connection =>
    {
        using var write = Command(connection, expected is null
            ? "INSERT INTO gallery_layouts VALUES ($tenant, $first, $shards, $target_first, $target_shards) ON CONFLICT DO NOTHING"
            : """
              UPDATE gallery_layouts SET first_shard = $first, shards = $shards, target_first_shard = $target_first, target_shards = $target_shards
              WHERE tenant = $tenant AND first_shard = $old_first AND shards = $old_shards
                AND target_first_shard IS $old_target_first AND target_shards IS $old_target_shards
              """, tenant);
        Bind(write, "$", layout);
        if (expected is not null)
        {
            Bind(write, "$old_", expected);
        }

        return write.ExecuteNonQuery() == 1;
    });

    public Task<IReadOnlyList<(string FaceId, int Shard)>> MoveFacesAsync(string tenant, int fromShard, int maxFaces, Func<string, int> shardOf) => Run(connection =>
    {
        // One transaction per batch: a crash rolls the batch back whole, so each face stays in exactly one shard.
        using var transaction = connection.BeginTransaction();
        using var select = Command(connection,
            "SELECT face_id FROM gallery_faces INDEXED BY gallery_face_ids_by_shard WHERE tenant = $tenant AND shard = $shard LIMIT $limit", tenant);
        select.Transaction = transaction;
        select.Parameters.AddWithValue("$shard", fromShard);
        select.Parameters.AddWithValue("$limit", maxFaces);
        var moved = new List<(string FaceId, int Shard)>();
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                var faceId = reader.GetString(0);
                moved.Add((faceId, shardOf(faceId)));
            }
        }

        using var update = Command(connection, "UPDATE gallery_faces SET shard = $shard WHERE tenant = $tenant AND face_id = $face", tenant);
        update.Transaction = transaction;
        var face = update.Parameters.Add("$face", SqliteType.Text);
        var shard = update.Parameters.Add("$shard", SqliteType.Integer);
        foreach (var (faceId, to) in moved)
        {
            face.Value = faceId;
            shard.Value = to;
            update.ExecuteNonQuery();
        }

        transaction.Commit();
        return (IReadOnlyList<(string, int)>)moved;
    });

    private static void Bind(SqliteCommand command, string prefix, GalleryLayout layout)
    {
        command.Parameters.AddWithValue(prefix + "first", layout.FirstShard);
        command.Parameters.AddWithValue(prefix + "shards", layout.Shards);
        command.Parameters.AddWithValue(prefix + "target_first", (object?)layout.TargetFirstShard ?? DBNull.Value);
        command.Parameters.AddWithValue(prefix + "target_shards", (object?)layout.TargetShards ?? DBNull.Value);
    }
}
