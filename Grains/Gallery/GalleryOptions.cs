namespace FaceOrleans.Grains.Gallery;

/// <summary>How tenants' galleries are split and kept (section <c>FaceOrleans:Gallery</c>).</summary>
public sealed class GalleryOptions
{
    public const string Section = "FaceOrleans:Gallery";

    /// <summary>
    /// Shards of a new gallery: each is a grain holding its faces in memory, searched in parallel with the
    /// others. A gallery records its count when its first face is stored; change it later with a re-shard.
    /// </summary>
    public int Shards { get; set; } = 8;

    public int MaxTopK { get; set; } = 100;

    /// <summary>
    /// Calibration keeps at most this many faces in memory (whole subjects, chosen by a hash of their id), about
    /// 2 kB each at 512 dimensions.
    /// </summary>
    public int CalibrationMaxFaces { get; set; } = 20_000;

    /// <summary>Calibration scores at most this many genuine pairs and as many impostor pairs; beyond, pairs are drawn with a fixed seed.</summary>
    public int CalibrationMaxPairs { get; set; } = 200_000;

    /// <summary>
    /// Local folder for each shard's index snapshot and float32 vector file (a cache of the store, which
    /// makes a restart fast). Null keeps vectors in temporary files and writes no snapshots. The silo's
    /// cluster setup defaults it beside the SQLite files (embedded) or to <c>data/gallery-index</c> (Redis).
    /// </summary>
    public string? IndexDirectory { get; set; }

    /// <summary>How often a shard whose faces changed writes a new snapshot (it also writes one when it deactivates).</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Faces a re-shard moves per store transaction.</summary>
    public int ReshardBatchSize { get; set; } = 500;

    /// <summary>Pause between a re-shard's batches, to leave the store room for enrollments (none by default).</summary>
    public TimeSpan ReshardPause { get; set; } = TimeSpan.Zero;

    public static int ShardOf(string faceId, int shards) =>
        (int)(System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(faceId)) % (uint)shards);
}
