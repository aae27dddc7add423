using System.Diagnostics;
using System.IO.Hashing;
using System.Text;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Loads a shard's index. With a snapshot on disk it reads that in bulk and then makes it agree with the store:
/// it lists the shard's face ids (a covering index in SQLite, HKEYS in Redis; no embeddings read), drops faces
/// the store no longer has, and fetches by key only the faces the snapshot lacks. A snapshot from before a
/// crash, from another cluster sharing the folder, or from before a re-shard is therefore never wrong, only
/// slower. Without a usable snapshot it reads every record from the store. Face ids are never reused and a
/// face's embedding and subject never change, which is what makes reconciling by id sufficient.
/// </summary>
public static class GalleryShardLoader
{
    private const int FetchBatch = 500;

    /// <summary>Where a shard keeps its snapshot and vector file under <paramref name="root"/>.</summary>
    public static string ShardDirectory(string root, string tenant, int shard)
    {
        // Readable where the tenant id allows, unique always (tenant ids may hold characters a path cannot).
        var readable = new string(tenant.Take(40).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        var hash = XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(tenant));
        return Path.Combine(root, $"{readable}-{hash:x8}", $"shard-{shard}");
    }

    /// <summary>A new vector file in <paramref name="directory"/> (a temporary one when null).</summary>
    public static Func<int, VectorFile> VectorFileIn(string? directory) => directory is null
        ? VectorFile.CreateTemporary
        : dimension => VectorFile.Create(Path.Combine(directory, $"vectors-{Guid.NewGuid():N}.f32"), dimension);

    public static async Task<(GalleryIndex Index, ShardLoadReport Report)> LoadAsync(
        IGalleryStore store, string tenant, int shard, string? directory, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var index = directory is null ? null : GalleryIndex.TryReadSnapshot(directory, tenant, shard, VectorFileIn(directory));
        var fromSnapshot = index is not null;
        int added = 0, dropped = 0;
        try
        {
            if (index is not null)
            {
                (added, dropped) = await ReconcileAsync(index, store, tenant, shard, cancellationToken);
            }
            else
            {
                index = new GalleryIndex(VectorFileIn(directory));
                await foreach (var face in store.LoadShardAsync(tenant, shard, cancellationToken))
                {
                    index.Add(face.FaceId, face.SubjectId, face.Embedding);
                }
            }

            index.TrimExcess();
            return (index, new ShardLoadReport(fromSnapshot, index.Count, added, dropped, Stopwatch.GetElapsedTime(started)));
        }
        catch
        {
            index?.Dispose();
            throw;
        }
    }

    /// <summary>Deletes vector files in <paramref name="directory"/> that no activation holds and the index does not use.</summary>
    public static void DeleteUnusedVectorFiles(string directory, GalleryIndex index)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "vectors-*.f32"))
        {
            if (index.Vectors is { } inUse && Path.GetFullPath(file) == Path.GetFullPath(inUse.Path))
            {
                continue;
            }

            // Held by another activation: its open handle refuses ours, and the file stays.
            using var unused = VectorFile.TryOpen(file, 1, 0);
            if (unused is not null)
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Drops the faces the store no longer holds in the shard and fetches by key those the index lacks.</summary>
    public static async Task<(int Added, int Dropped)> ReconcileAsync(GalleryIndex index, IGalleryStore store, string tenant, int shard, CancellationToken cancellationToken)
    {
        var stored = new HashSet<string>(await store.ListFaceIdsAsync(tenant, shard, cancellationToken), StringComparer.Ordinal);
        var stale = index.FaceIds.Where(id => !stored.Contains(id)).ToList();
        foreach (var faceId in stale)
        {
            index.Remove(faceId);
        }

        var missing = stored.Where(id => !index.Contains(id)).ToList();
        for (var i = 0; i < missing.Count; i += FetchBatch)
        {
            foreach (var face in await store.GetFacesAsync(tenant, shard, missing.GetRange(i, Math.Min(FetchBatch, missing.Count - i)), cancellationToken))
            {
                index.Add(face.FaceId, face.SubjectId, face.Embedding);
            }
        }

        return (missing.Count, stale.Count);
    }
}
