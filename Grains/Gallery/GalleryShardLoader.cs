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
/// face's embedding and subject never change, except that a re-embed gives every face of a gallery a new
/// recognizer's embedding: a snapshot records its recognizer, and one whose recognizer is not the store's is
/// set aside (one face read from the store tells). Those are what make reconciling by id sufficient.
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

    /// <summary>A new vector file in <paramref name="directory"/> (a temporary one when null); <paramref name="sealVectors"/>: a sealed one.</summary>
    public static Func<int, VectorFile> VectorFileIn(string? directory, bool sealVectors = false)
    {
        string? NewPath() => directory is null ? null : Path.Combine(directory, $"vectors-{Guid.NewGuid():N}.f32");
        return sealVectors ? dimension => VectorFile.CreateSealed(NewPath(), dimension)
            : directory is null ? VectorFile.CreateTemporary
            : dimension => VectorFile.Create(NewPath()!, dimension);
    }

    /// <param name="sealVectors">A sealed gallery's shard: no snapshot is read, and the vector file is sealed.</param>
    public static async Task<(GalleryIndex Index, ShardLoadReport Report)> LoadAsync(
        IGalleryStore store, string tenant, int shard, string? directory, bool sealVectors = false, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var index = directory is null || sealVectors ? null : GalleryIndex.TryReadSnapshot(directory, tenant, shard, VectorFileIn(directory));
        int added = 0, dropped = 0;
        EmbeddingModel? foreign = null;
        try
        {
            if (index is not null)
            {
                (added, dropped, foreign) = await ReconcileAsync(index, store, tenant, shard, cancellationToken);
                if (!await IsOfStoredModelAsync(index, store, tenant, shard, cancellationToken))
                {
                    index.Dispose();
                    index = null;
                }
            }

            var fromSnapshot = index is not null;
            if (index is null)
            {
                (added, dropped, foreign) = (0, 0, null);
                index = new GalleryIndex(VectorFileIn(directory, sealVectors));
                await foreach (var face in store.LoadShardAsync(tenant, shard, cancellationToken))
                {
                    _ = TryAdd(index, face, ref foreign);
                }
            }

            index.TrimExcess();
            return (index, new ShardLoadReport(fromSnapshot, index.Count, added, dropped, Stopwatch.GetElapsedTime(started)) { Foreign = foreign });
        }
        catch
        {
            index?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Erases every shard folder under <paramref name="root"/> (<see cref="EraseDirectory"/>) except those an activation
    /// holds open (another silo sharing the folder): at the start of a sealed silo, none of its own is active yet.
    /// </summary>
    public static int EraseShardDirectories(string root)
    {
        var erased = 0;
        foreach (var directory in Directory.Exists(root) ? Directory.GetDirectories(root, "shard-*", SearchOption.AllDirectories) : [])
        {
            try
            {
                EraseDirectory(directory);
                erased++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Held by a running activation elsewhere: that silo erases it when it starts sealed.
            }
        }

        return erased;
    }

    /// <summary>Overwrites every file of a shard's folder with zeros, flushed, then deletes the files and the folder.</summary>
    public static void EraseDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        var zeros = new byte[1 << 16];
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            using (var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Write, FileShare.None))
            {
                var length = RandomAccess.GetLength(handle);
                for (long offset = 0; offset < length; offset += zeros.Length)
                {
                    RandomAccess.Write(handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, length - offset)), offset);
                }

                RandomAccess.FlushToDisk(handle);
            }

            File.Delete(file);
        }

        Directory.Delete(directory, recursive: true);
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

    /// <summary>
    /// Indexes the face when it is of the index's recognizer (the first face decides for an empty index); otherwise
    /// leaves it out and names its recognizer in <paramref name="foreign"/>, since one index is one embedding space.
    /// </summary>
    public static bool TryAdd(GalleryIndex index, StoredFace face, ref EmbeddingModel? foreign)
    {
        if (index.Count == 0 && index.Model != face.Model)
        {
            index.Model = face.Model;
        }

        if (face.Model != index.Model)
        {
            foreign ??= face.Model;
            return false;
        }

        return index.Add(face.FaceId, face.SubjectId, face.Embedding);
    }

    /// <summary>Whether a snapshot's faces are of the recognizer the store records for them (one face read tells: a re-embed replaces a shard's faces together).</summary>
    private static async Task<bool> IsOfStoredModelAsync(GalleryIndex index, IGalleryStore store, string tenant, int shard, CancellationToken cancellationToken)
    {
        if (index.Count == 0)
        {
            return true;
        }

        var sample = await store.GetFacesAsync(tenant, shard, [index.FaceIds.First()], cancellationToken);
        return sample.Count == 0 || sample[0].Model == index.Model;
    }

    /// <summary>
    /// Drops the faces the store no longer holds in the shard and fetches by key those the index lacks; names a
    /// recognizer other than the index's that fetched faces came from (those are left out).
    /// </summary>
    public static async Task<(int Added, int Dropped, EmbeddingModel? Foreign)> ReconcileAsync(
        GalleryIndex index, IGalleryStore store, string tenant, int shard, CancellationToken cancellationToken)
    {
        var stored = new HashSet<string>(await store.ListFaceIdsAsync(tenant, shard, cancellationToken), StringComparer.Ordinal);
        EmbeddingModel? foreign = null;
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
                _ = TryAdd(index, face, ref foreign);
            }
        }

        return (missing.Count, stale.Count, foreign);
    }
}
