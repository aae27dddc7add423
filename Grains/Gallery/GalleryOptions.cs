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

    public static int ShardOf(string faceId, int shards) =>
        (int)(System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(faceId)) % (uint)shards);
}
