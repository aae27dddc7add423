using System.Globalization;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Protection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// One shard of one tenant's gallery. On activation it loads its <see cref="GalleryIndex"/> (from its local
/// snapshot reconciled with the store, or from the store), off the scheduler; an added face is stored before
/// it is indexed, so a face the API confirmed is never lost.
/// </summary>
/// <remarks>
/// Not reentrant: searches and changes are taken one at a time in arrival order, so no add or remove can
/// overlap a scan (the index's rule) and none waits behind an endless stream of searches (read-only requests
/// would let later searches overtake a waiting add). A search loses nothing by it: each scan already runs on the
/// thread pool across all the machine's cores, so no grain turn blocks on it. The snapshot, written every
/// <see cref="GalleryOptions.SnapshotInterval"/> when something changed and when the shard deactivates, only
/// reads the index: it interleaves with searches, while changes wait for it and it never starts during one.
/// </remarks>
[TenantScoped]
[GrainType("galleryshard")]
public sealed partial class GalleryShardGrain(IGalleryStore store, IOptions<GalleryOptions> options, ILogger<GalleryShardGrain> logger)
    : Grain, IGalleryShardGrain
{
    private GalleryIndex? _loaded;

    // A recognizer other than the index's that stored faces of this shard came from (mixed before model identity,
    // or by a tenant served by two recognizers at once): while set, searches and adds are refused.
    private EmbeddingModel? _foreign;
    private string _tenant = string.Empty;
    private int _shard;
    private string? _directory;

    // A sealed gallery's shard keeps no snapshot and seals its vector file under a key of its own (VectorFile.CreateSealed).
    private bool _sealed;
    private bool _changed;
    private bool _changing;
    private Task _snapshotWrite = Task.CompletedTask;

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

        // Caches written before sealing are erased at start-up (GalleryProtection); a sealed shard writes none that outlive it.
        _sealed = store is IProtectedGalleryStore { Cipher.Enabled: true };

        await LoadAsync(cancellationToken);
        if (_directory is not null && !_sealed)
        {
            // The timer only asks: a timer turn would hold searches back while the snapshot is written; the
            // interleaving request it sends does not.
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
            await _snapshotWrite;
            await SnapshotIfChangedAsync(cancellationToken);
        }
        finally
        {
            _loaded?.Dispose();
        }
    }

    private GalleryIndex Index => _loaded ?? throw new InvalidOperationException("The shard has not loaded.");

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var (index, report) = await Task.Run(() => GalleryShardLoader.LoadAsync(store, _tenant, _shard, _directory, _sealed, cancellationToken), cancellationToken);
        _loaded = index;
        _changed = report.Changed;
        _foreign = report.Foreign;
        LogLoaded(logger, _tenant, _shard, report.Faces, report.FromSnapshot ? "snapshot" : "store", report.AddedFromStore, report.DroppedAsStale,
            report.Elapsed.TotalMilliseconds);
        if (_foreign is not null)
        {
            LogMixed(logger, _tenant, _shard, index.Model?.ToString(), _foreign.ToString());
        }
    }

    /// <summary>The recognizers of the faces stored here: the index's while it holds any, and a foreign one.</summary>
    private IEnumerable<EmbeddingModel> Models()
    {
        if (Index is { Count: > 0, Model: { } model })
        {
            yield return model;
        }

        if (_foreign is not null)
        {
            yield return _foreign;
        }
    }

    public Task<bool> Add(string faceId, string subjectId, float[] embedding, EmbeddingModel model, byte[]? photo) => ChangeAsync(async index =>
    {
        if (index.Contains(faceId))
        {
            // The same enrollment sent again (its first answer was lost with a gateway): it is stored already.
            return true;
        }

        ModelMismatch.ThrowUnlessAll(_tenant, Models(), model);
        if (index.Count == 0 && index.Dimension != 0 && index.Dimension != embedding.Length)
        {
            // Emptied, and now enrolled with a recognizer of another dimension: an index keeps one dimension for life.
            index.Dispose();
            _loaded = index = new GalleryIndex(GalleryShardLoader.VectorFileIn(_directory, _sealed));
        }

        try
        {
            if (!await store.AddFaceAsync(_tenant, _shard, new StoredFace(faceId, subjectId, embedding, model), photo))
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or Microsoft.Data.Sqlite.SqliteException)
        {
            // Store exceptions cannot cross the grain boundary; this one can, and maps to 503.
            throw new GalleryStoreUnavailableException($"The gallery store refused face '{faceId}': {ex.Message}");
        }

        _changed |= GalleryShardLoader.TryAdd(index, new StoredFace(faceId, subjectId, embedding, model), ref _foreign);
        return true;
    });

    public Task<int> Remove(IReadOnlyList<string> faceIds) => ChangeAsync(index => Task.FromResult(Erased(index, faceIds.Count(index.Remove))));

    public Task<int> RemoveSubject(string subjectId) => ChangeAsync(index => Task.FromResult(Erased(index, index.RemoveSubject(subjectId))));

    public Task EraseAll() => ChangeAsync(index =>
    {
        index.Dispose();
        // Empty until the grain deactivates: a search meanwhile finds nothing rather than failing.
        _loaded = index = new GalleryIndex(GalleryShardLoader.VectorFileIn(_directory, _sealed));
        _foreign = null;
        _changed = false;
        if (_directory is not null)
        {
            GalleryShardLoader.EraseDirectory(_directory);
        }

        DeactivateOnIdle();
        return Task.FromResult(true);
    });

    public Task<IReadOnlyList<EmbeddingModel>> GetModels() => Task.FromResult<IReadOnlyList<EmbeddingModel>>(Models().ToArray());

    public Task<int> Rebuild() => ChangeAsync(async index =>
    {
        // The snapshot's embeddings are the old recognizer's under the same face ids: it must not be read again.
        index.Dispose();
        _loaded = null;
        if (_directory is not null)
        {
            File.Delete(Path.Combine(_directory, GalleryIndex.SnapshotFileName));
        }

        await LoadAsync(CancellationToken.None);
        _changed = true;
        return Index.Count;
    });

    public Task<int> Reload(IReadOnlyList<string> faceIds) => ChangeAsync(async index =>
    {
        // Read inside this turn: a delete the store saw first is then missing here, and a delete it sees
        // later reaches this grain as a Remove after this turn, so no deleted face is ever resurrected.
        var faces = await store.GetFacesAsync(_tenant, _shard, faceIds.Where(id => !index.Contains(id)).ToArray());
        return Changed(await Task.Run(() => faces.Count(f => GalleryShardLoader.TryAdd(index, f, ref _foreign))));
    });

    public Task Reconcile() => ChangeAsync(async index =>
    {
        var (added, dropped, foreign) = await Task.Run(() => GalleryShardLoader.ReconcileAsync(index, store, _tenant, _shard, CancellationToken.None));
        _foreign ??= foreign;
        return Changed(added + dropped);
    });

    public Task Snapshot()
    {
        if (!_changing && _snapshotWrite.IsCompleted)
        {
            _snapshotWrite = SnapshotIfChangedAsync(CancellationToken.None);
        }

        return _snapshotWrite;
    }

    public async Task<IReadOnlyList<IReadOnlyList<Candidate>>> Search(
        IReadOnlyList<float[]> queries, EmbeddingModel model, int topK, string? subjectId, CancellationToken cancellationToken = default)
    {
        ModelMismatch.ThrowUnlessAll(_tenant, Models(), model);
        return await Index.SearchAsync(queries, topK, subjectId, cancellationToken);
    }

    public Task<int> Count() => Task.FromResult(Index.Count);

    /// <summary>Runs a change of the index once no snapshot is being written, and keeps snapshots from starting meanwhile.</summary>
    private async Task<T> ChangeAsync<T>(Func<GalleryIndex, Task<T>> change)
    {
        // Again after each wait: a snapshot request may have started a new write before this turn resumed.
        while (!_snapshotWrite.IsCompleted)
        {
            await _snapshotWrite;
        }

        _changing = true;
        try
        {
            return await change(Index);
        }
        finally
        {
            _changing = false;
        }
    }

    /// <summary>
    /// After faces were removed, before the delete answers: their vector slots (zeroed by the index) are flushed to
    /// disk, and the snapshot, which still holds their int8 codes, is deleted; the next snapshot is written without them.
    /// </summary>
    private int Erased(GalleryIndex index, int count)
    {
        if (count > 0)
        {
            index.Vectors?.Flush();
            if (_directory is not null)
            {
                File.Delete(Path.Combine(_directory, GalleryIndex.SnapshotFileName));
            }
        }

        return Changed(count);
    }

    private int Changed(int count)
    {
        _changed |= count > 0;
        return count;
    }

    private async Task SnapshotIfChangedAsync(CancellationToken cancellationToken)
    {
        if (!_changed || _directory is null || _loaded is null || _sealed)
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

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Gallery shard {Tenant}/{Shard} holds faces of two recognizers ({Indexed} indexed, {Foreign} not); it refuses searches until the gallery is re-embedded")]
    private static partial void LogMixed(ILogger logger, string tenant, int shard, string? indexed, string foreign);
}
