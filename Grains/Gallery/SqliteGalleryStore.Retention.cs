using Microsoft.Data.Sqlite;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Retention's view of the SQLite gallery: when each face was enrolled (<c>gallery_face_times</c>, a row per face
/// that the face's deletion cascades to), and the photos and subjects that are due.
/// </summary>
public sealed partial class SqliteGalleryStore
{
    public Task<IReadOnlyList<string>> SubjectsNotRefreshedSinceAsync(string tenant, DateTimeOffset before) => Run(connection =>
    {
        StampUntimedFaces(connection, tenant);
        // A subject's last refresh is its newest face's enrollment, or its creation when it has no face.
        using var select = Command(connection, """
            SELECT s.subject_id, s.created_utc, MAX(t.enrolled_ms) FROM gallery_subjects s
            LEFT JOIN gallery_faces f ON f.tenant = s.tenant AND f.subject_id = s.subject_id
            LEFT JOIN gallery_face_times t ON t.tenant = f.tenant AND t.face_id = f.face_id
            WHERE s.tenant = $tenant GROUP BY s.subject_id, s.created_utc
            """, tenant);
        using var reader = select.ExecuteReader();
        var due = new List<string>();
        while (reader.Read())
        {
            var refreshed = reader.IsDBNull(2)
                ? DateTimeOffset.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture)
                : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2));
            if (refreshed < before)
            {
                due.Add(reader.GetString(0));
            }
        }

        return (IReadOnlyList<string>)due;
    });

    public Task<int> DeletePhotosEnrolledBeforeAsync(string tenant, DateTimeOffset before) => Run(connection =>
    {
        StampUntimedFaces(connection, tenant);
        using var delete = Command(connection, """
            DELETE FROM gallery_photos WHERE tenant = $tenant AND face_id IN
                (SELECT face_id FROM gallery_face_times WHERE tenant = $tenant AND enrolled_ms < $before)
            """, tenant);
        delete.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        return delete.ExecuteNonQuery();
    });

    private void StampEnrollment(SqliteConnection connection, SqliteTransaction transaction, string tenant, string faceId)
    {
        using var stamp = Command(connection, "INSERT OR REPLACE INTO gallery_face_times VALUES ($tenant, $face, $now)", tenant);
        stamp.Transaction = transaction;
        stamp.Parameters.AddWithValue("$face", faceId);
        stamp.Parameters.AddWithValue("$now", _clock.GetUtcNow().ToUnixTimeMilliseconds());
        stamp.ExecuteNonQuery();
    }

    /// <summary>Faces enrolled before enrollment times were kept (or imported in bulk) start their time at the first sweep that sees them.</summary>
    private void StampUntimedFaces(SqliteConnection connection, string tenant)
    {
        using var stamp = Command(connection, """
            INSERT OR IGNORE INTO gallery_face_times SELECT tenant, face_id, $now FROM gallery_faces WHERE tenant = $tenant
            """, tenant);
        stamp.Parameters.AddWithValue("$now", _clock.GetUtcNow().ToUnixTimeMilliseconds());
        stamp.ExecuteNonQuery();
    }
}
