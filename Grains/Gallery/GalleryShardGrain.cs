using FaceOrleans.Grains;
using Microsoft.Extensions.Logging;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// One shard of one tenant's gallery. On activation it loads its faces from the store into a
/// <see cref="GalleryIndex"/>; an added face is stored before it is indexed, so a face the API confirmed is
/// never lost. Not reentrant on purpose: adds, removes and scans of one index must not interleave; shards
/// search in parallel with each other.
/// </summary>
[GrainType("galleryshard")]
public sealed partial class GalleryShardGrain(IGalleryStore store, ILogger<GalleryShardGrain> logger) : Grain, IGalleryShardGrain
{
    private readonly GalleryIndex _index = new();
    private string _tenant = string.Empty;
    private int _shard;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.LastIndexOf('/');
        _tenant = key[..slash];
        _shard = int.Parse(key.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await foreach (var face in store.LoadShardAsync(_tenant, _shard, cancellationToken))
        {
            _index.Add(face.FaceId, face.SubjectId, face.Embedding);
        }

        _index.TrimExcess();
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        LogLoaded(logger, _tenant, _shard, _index.Count, elapsed.TotalMilliseconds);
    }

    public async Task Add(string faceId, string subjectId, float[] embedding, byte[]? photo)
    {
        try
        {
            await store.AddFaceAsync(_tenant, _shard, new StoredFace(faceId, subjectId, embedding), photo);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or Microsoft.Data.Sqlite.SqliteException)
        {
            // Store exceptions cannot cross the grain boundary; this one can, and maps to 503.
            throw new GalleryStoreUnavailableException($"The gallery store refused face '{faceId}': {ex.Message}");
        }

        _index.Add(faceId, subjectId, embedding);
    }

    public Task<bool> Remove(string faceId) => Task.FromResult(_index.Remove(faceId));

    public Task<int> RemoveSubject(string subjectId) => Task.FromResult(_index.RemoveSubject(subjectId));

    public Task<IReadOnlyList<IReadOnlyList<Candidate>>> Search(IReadOnlyList<float[]> queries, int topK, string? subjectId) =>
        Task.FromResult<IReadOnlyList<IReadOnlyList<Candidate>>>(queries.Select(q => _index.Search(q, topK, subjectId)).ToArray());

    public Task<int> Count() => Task.FromResult(_index.Count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gallery shard {Tenant}/{Shard} loaded {Faces} faces in {Milliseconds:0} ms")]
    private static partial void LogLoaded(ILogger logger, string tenant, int shard, int faces, double milliseconds);
}
