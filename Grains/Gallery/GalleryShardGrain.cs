using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// One shard of one tenant's gallery. On activation it loads its <see cref="GalleryIndex"/> (from its local
/// snapshot reconciled with the store, or from the store), off the scheduler; an added face is stored before
/// it is indexed, so a face the API confirmed is never lost. Searches are read-only requests: Orleans runs
/// them side by side and never alongside an add or remove, which is exactly the index's rule, and each scan
/// runs on the thread pool across the machine's cores, so no grain turn blocks on it. A changed index is
/// snapshotted every <see cref="GalleryOptions.SnapshotInterval"/> (beside searches) and when the shard deactivates.
/// </summary>
public sealed partial class GalleryShardGrain(IGalleryStore store, IOptions<GalleryOptions> options, ILogger<GalleryShardGrain> logger)
    : Grain, IGalleryShardGrain
{
    private GalleryIndex? _loaded;
    private string _tenant = string.Empty;
    private int _shard;
    private string? _directory;
    private bool _changed;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.LastIndexOf('/');
        _tenant = key[..slash];
        _shard = int.Parse(key.AsSpan(slash + 1), CultureInfo.InvariantCulture);
        if (options.Value.IndexDirectory is { } root)
        {
            _directory = GalleryShardLoader.ShardDirectory(root, _tenant, _shard);
            Directory.CreateDirectory(_directory);
        }

        var (index, report) = await Task.Run(() => GalleryShardLoader.LoadAsync(store, _tenant, _shard, _directory, cancellationToken), cancellationToken);
        _loaded = index;
        _changed = report.Changed;
        LogLoaded(logger, _tenant, _shard, report.Faces, report.FromSnapshot ? "snapshot" : "store", report.AddedFromStore, report.DroppedAsStale,
            report.Elapsed.TotalMilliseconds);
        if (_directory is not null)
        {
            // The timer only asks: a timer turn would hold searches back while the snapshot is written, the
            // read-only request it sends runs beside them (and still never beside an add or remove).
            var interval = options.Value.SnapshotInterval;
            this.RegisterGrainTimer(() =>
            {
                if (_changed)
                {
                    this.AsReference<IGalleryShardGrain>().Snapshot().Ignore();
                }

                return Task.CompletedTask;
            }, new GrainTimerCreationOptions(interval, interval) { Interleave = false });
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await SnapshotIfChangedAsync(cancellationToken);
        }
        finally
        {
            _loaded?.Dispose();
        }
    }

    private GalleryIndex Index => _loaded ?? throw new InvalidOperationException("The shard has not loaded.");

    public async Task<bool> Add(string faceId, string subjectId, float[] embedding, byte[]? photo)
    {
        try
        {
            if (!await store.AddFaceAsync(_tenant, _shard, new StoredFace(faceId, subjectId, embedding), photo))
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or Microsoft.Data.Sqlite.SqliteException)
        {
            // Store exceptions cannot cross the grain boundary; this one can, and maps to 503.
            throw new GalleryStoreUnavailableException($"The gallery store refused face '{faceId}': {ex.Message}");
        }

        _changed |= Index.Add(faceId, subjectId, embedding);
        return true;
    }

    public Task<int> Remove(IReadOnlyList<string> faceIds)
    {
        var removed = faceIds.Count(Index.Remove);
        _changed |= removed > 0;
        return Task.FromResult(removed);
    }

    public Task<int> RemoveSubject(string subjectId)
    {
        var removed = Index.RemoveSubject(subjectId);
        _changed |= removed > 0;
        return Task.FromResult(removed);
    }

    public async Task<int> Reload(IReadOnlyList<string> faceIds)
    {
        // Read inside this turn: a delete the store saw first is then missing here, and a delete it sees
        // later reaches this grain as a Remove after this turn, so no deleted face is ever resurrected.
        var faces = await store.GetFacesAsync(_tenant, _shard, faceIds.Where(id => !Index.Contains(id)).ToArray());
        var added = await Task.Run(() => faces.Count(f => Index.Add(f.FaceId, f.SubjectId, f.Embedding)));
        _changed |= added > 0;
        return added;
    }

    public async Task Reconcile()
    {
        var index = Index;
        var (added, dropped) = await Task.Run(() => GalleryShardLoader.ReconcileAsync(index, store, _tenant, _shard, CancellationToken.None));
        _changed |= added + dropped > 0;
    }

    public Task Snapshot() => SnapshotIfChangedAsync(CancellationToken.None);

    public async Task<IReadOnlyList<IReadOnlyList<Candidate>>> Search(IReadOnlyList<float[]> queries, int topK, string? subjectId) =>
        await Index.SearchAsync(queries, topK, subjectId);

    public Task<int> Count() => Task.FromResult(Index.Count);

    private async Task SnapshotIfChangedAsync(CancellationToken cancellationToken)
    {
        if (!_changed || _directory is null || _loaded is null)
        {
            return;
        }

        var directory = _directory;
        await Task.Run(() =>
        {
            Index.WriteSnapshot(directory, _tenant, _shard);
            GalleryShardLoader.DeleteUnusedVectorFiles(directory, Index);
        }, cancellationToken);
        _changed = false;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Gallery shard {Tenant}/{Shard} loaded {Faces} faces from its {Source} ({Added} fetched from the store, {Dropped} stale dropped) in {Milliseconds:0} ms")]
    private static partial void LogLoaded(ILogger logger, string tenant, int shard, int faces, string source, int added, int dropped, double milliseconds);
}
