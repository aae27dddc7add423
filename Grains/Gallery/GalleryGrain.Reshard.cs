using Microsoft.Extensions.Logging;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// The re-shard's mover, a background task of the gallery grain. Every step is safe to cut short:
/// <list type="number">
/// <item>The target layout is recorded first; from then on the store refuses faces for the old shards, so
/// nothing new can land behind the mover.</item>
/// <item>Faces move in batches, each one store transaction: a crash leaves every face in exactly one shard. The
/// old shard is made to load before each batch leaves it, so it still holds the batch in memory.</item>
/// <item>After a batch, the new shards index the moved faces by reading them from the store (so a face deleted
/// meanwhile is not brought back). The old shards keep them until the end: searches fan out to old and new
/// shards one message each, so a face dropped from an old shard mid-way could be missed by a search that
/// reached its new shard a moment before it arrived there. A face found twice is merged by subject.</item>
/// <item>When the old shards are empty in the store, the layout switches to the target, and the old shards
/// then drop what they held. The moved faces are held twice in memory until then.</item>
/// </list>
/// An interrupted re-shard resumes when the gallery next activates, or when asked again for the same count.
/// </summary>
public sealed partial class GalleryGrain
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    private async Task MoveFacesAsync()
    {
        var layout = _layout;
        var batch = Math.Max(1, options.Value.ReshardBatchSize);
        var moved = 0L;
        while (true)
        {
            try
            {
                foreach (var from in layout.Retiring)
                {
                    IReadOnlyList<(string FaceId, int Shard)> faces;
                    while ((faces = await MoveBatchAsync(layout, from, batch)).Count > 0)
                    {
                        DelayDeactivation(TimeSpan.FromMinutes(10));
                        await Task.WhenAll(faces.GroupBy(f => f.Shard).Select(g => Shard(g.Key).Reload(g.Select(f => f.FaceId).ToArray())));
                        moved += faces.Count;
                        if (options.Value.ReshardPause > TimeSpan.Zero)
                        {
                            await Task.Delay(options.Value.ReshardPause);
                        }
                    }
                }

                var done = layout.CompleteReshard();
                _layout = await store.ReplaceLayoutAsync(Tenant, layout, done) ? done : await store.GetLayoutAsync(Tenant) ?? _layout;
                await Task.WhenAll(layout.Retiring.Select(s => Shard(s).Reconcile()));
                LogReshardCompleted(logger, Tenant, _layout.Shards, moved);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The store or a shard is unavailable: nothing is half-done, so wait and carry on.
                LogReshardRetry(logger, ex, Tenant, RetryAfterFailure.TotalSeconds);
                await Task.Delay(RetryAfterFailure);
            }
        }
    }

    private async Task<IReadOnlyList<(string FaceId, int Shard)>> MoveBatchAsync(GalleryLayout layout, int from, int batch)
    {
        // The old shard must hold the batch in memory before the store moves it: an old shard first
        // activated after the move would load without it, and until the new shard's Reload a search would
        // find the face in neither. Asking it to count activates it (loaded from before the move) and keeps
        // it from being collected as idle while the batch is on its way.
        await Shard(from).Count();
        return await store.MoveFacesAsync(Tenant, from, batch, layout.ShardFor);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gallery {Tenant}: re-shard complete, {Shards} shards ({Moved} faces moved by this activation)")]
    private static partial void LogReshardCompleted(ILogger logger, string tenant, int shards, long moved);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gallery {Tenant}: re-shard step failed; retrying in {Seconds} s")]
    private static partial void LogReshardRetry(ILogger logger, Exception exception, string tenant, double seconds);
}
