using System.Globalization;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// How a tenant's gallery is split, stored with the gallery: shards numbered <see cref="FirstShard"/> onwards,
/// a face's shard fixed by its id. A re-shard allocates fresh shard numbers after the current ones (the
/// target), so old and new shards never share a number, a grain or a snapshot; while it runs, new faces go to
/// the target only and searches cover both. Galleries stored before layouts existed have none: they use the
/// configured count from shard 0, and get that layout recorded on their next write.
/// </summary>
public sealed record GalleryLayout(int FirstShard, int Shards, int? TargetFirstShard = null, int? TargetShards = null)
{
    public const int MaxShards = 256;

    public bool IsResharding => TargetShards is not null;

    /// <summary>The shards new faces go to: the target while a re-shard runs.</summary>
    public (int First, int Count) Accepting => IsResharding ? (TargetFirstShard!.Value, TargetShards!.Value) : (FirstShard, Shards);

    /// <summary>The shards being emptied by a running re-shard (none otherwise).</summary>
    public IEnumerable<int> Retiring => IsResharding ? Enumerable.Range(FirstShard, Shards) : [];

    /// <summary>Every shard that may hold faces: the current ones and, during a re-shard, the target's.</summary>
    public IEnumerable<int> AllShards => IsResharding
        ? Enumerable.Range(FirstShard, Shards).Concat(Enumerable.Range(TargetFirstShard!.Value, TargetShards!.Value))
        : Enumerable.Range(FirstShard, Shards);

    public int ShardFor(string faceId)
    {
        var (first, count) = Accepting;
        return first + GalleryOptions.ShardOf(faceId, count);
    }

    public bool Accepts(int shard)
    {
        var (first, count) = Accepting;
        return shard >= first && shard < first + count;
    }

    /// <summary>This layout with a re-shard to <paramref name="shards"/> begun, on numbers no shard has used.</summary>
    public GalleryLayout BeginReshard(int shards) => this with { TargetFirstShard = FirstShard + Shards, TargetShards = shards };

    /// <summary>The layout once the re-shard has emptied the old shards.</summary>
    public GalleryLayout CompleteReshard() =>
        IsResharding ? new GalleryLayout(TargetFirstShard!.Value, TargetShards!.Value) : this;

    /// <summary>
    /// "first;count" or "first;count;targetFirst;targetCount" (the Redis form). Not commas: StackExchange.Redis
    /// compares "1,5" as a number in a transaction condition, and the condition then never holds.
    /// </summary>
    public override string ToString() => string.Join(';', new[] { FirstShard, Shards, TargetFirstShard, TargetShards }
        .Where(n => n is not null).Select(n => n!.Value.ToString(CultureInfo.InvariantCulture)));

    public static GalleryLayout Parse(string text)
    {
        var n = text.Split(';').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return n.Length == 4 ? new GalleryLayout(n[0], n[1], n[2], n[3]) : new GalleryLayout(n[0], n[1]);
    }
}
