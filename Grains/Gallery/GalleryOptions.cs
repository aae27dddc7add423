namespace FaceOrleans.Grains.Gallery;

/// <summary>How tenants' galleries are split (section <c>FaceOrleans:Gallery</c>).</summary>
public sealed class GalleryOptions
{
    public const string Section = "FaceOrleans:Gallery";

    /// <summary>
    /// Shards per tenant: each is a grain holding its faces in memory, searched in parallel with the others.
    /// A face's shard is fixed by its id, so changing this for an existing gallery needs a re-shard.
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

    public static int ShardOf(string faceId, int shards) =>
        (int)(System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(faceId)) % (uint)shards);
}
