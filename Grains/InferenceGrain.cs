using System.Diagnostics;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Vision;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace FaceOrleans.Grains;

/// <summary>
/// The door to this silo's slice. Reentrant on purpose: concurrent requests wait in the slice's
/// <see cref="SliceScheduler"/>, which runs the model calls on its own threads by the slice's policy (one at a time
/// and micro-batched on a GPU, several at once on a CPU), rather than in this grain's mailbox, so decoding and
/// alignment of other requests overlap the model calls and the queue depth is visible. The grain keeps no state between awaits. Options arrive resolved by the tenant;
/// rejections (<see cref="RequestRejectedException"/>) travel back to the caller as they are.
/// </summary>
[Reentrant]
[SliceOwnerPlacement]
[GrainType("inference")]
public sealed class InferenceGrain(LocalSlice slice, IOptionsMonitor<TenantPlacementOptions> placement) : Grain, IInferenceGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        return key == slice.Id
            ? Task.CompletedTask
            : throw new SliceUnavailableException(null, key, placement.CurrentValue.RetryAfterSeconds);
    }

    public Task<CompareResult> Compare(string tenant, CompareRequest request, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(tenant, async (pipeline, started) =>
        {
            var result = await pipeline.CompareAsync(request.Image1, request.Image2, options, cancellationToken);
            return new CompareResult(result.Similarity, result.IsSamePerson, result.Threshold, result.Message,
                result.Faces1.ToContract(), result.Faces2.ToContract(), result.MissingFaceIn, slice.Id, Elapsed(started));
        }, cancellationToken);

    public Task<DetectResult> Detect(string tenant, DetectRequest request, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(tenant, async (pipeline, started) =>
        {
            var faces = await pipeline.DetectAsync([request.Image], options, cancellationToken);
            return new DetectResult(faces[0].ToContract(options.Quality), slice.Id, Elapsed(started));
        }, cancellationToken);

    public Task<EmbedResult> Embed(string tenant, EmbedRequest request, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(tenant, async (pipeline, started) =>
        {
            var faces = await pipeline.EmbedAsync([request.Image], options, request.ProminentFaceFirst, cancellationToken);
            return new EmbedResult(
                faces[0].ToContract(options.Quality),
                pipeline.Recognizer.ModelName,
                pipeline.Recognizer.EmbeddingSize,
                slice.Id,
                Elapsed(started),
                options.SimilarityThreshold,
                options.IdentificationThreshold,
                slice.Recognizer.Version);
        }, cancellationToken);

    public Task<DetectBatchResult> DetectBatch(string tenant, ImageBatch batch, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(tenant, async (pipeline, started) =>
        {
            var images = await pipeline.DetectEachAsync(DataOf(batch), NamesOf(batch), options, cancellationToken);
            return new DetectBatchResult(
                images.Select(r => new ImageFaces(r.Value?.ToContract(options.Quality) ?? [], r.Rejection)).ToArray(), slice.Id, Elapsed(started));
        }, cancellationToken);

    public Task<EmbedBatchResult> EmbedBatch(string tenant, ImageBatch batch, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(tenant, async (pipeline, started) =>
        {
            var images = await pipeline.EmbedEachAsync(DataOf(batch), NamesOf(batch), options, cancellationToken);
            return new EmbedBatchResult(
                images.Select(r => new ImageEmbeddings(r.Value?.ToContract(options.Quality) ?? [], r.Rejection)).ToArray(),
                pipeline.Recognizer.ModelName,
                pipeline.Recognizer.EmbeddingSize,
                slice.Id,
                Elapsed(started),
                options.SimilarityThreshold,
                slice.Recognizer.Version);
        }, cancellationToken);

    public Task<DetectResult> Probe(CancellationToken cancellationToken = default) =>
        Detect(LocalSlice.ProbeTenant, new DetectRequest(ProbeImage.Png), slice.Pipeline.ModelDefaults, cancellationToken);

    public Task<SliceModels> GetModels() => Task.FromResult(new SliceModels(slice.Pipeline.ModelDefaults, slice.Recognizer));

    public Task<InferenceStats> GetStats()
    {
        var stats = slice.Scheduler.Stats;
        var policy = stats.Policy;
        return Task.FromResult(new InferenceStats(
            slice.Location(),
            slice.ExecutionProvider,
            stats.QueuedInputs,
            stats.RunningCalls,
            stats.Completed,
            stats.Failed,
            slice.ModelCalls.Max,
            stats.ModelCall.Mean,
            stats.MeanBatchSize,
            stats.Cancelled)
        {
            Refused = stats.Refused,
            Batches = stats.Batches,
            BatchSizes = stats.BatchSizes,
            ModelCall = LatencySummary.From(stats.ModelCall),
            Wait = LatencySummary.From(stats.Wait),
            Policy = new SchedulingPolicy(policy.ConcurrentCalls, policy.MaxBatch, policy.MaxWait.TotalMilliseconds, policy.QueueCapacity),
        });
    }

    private static byte[][] DataOf(ImageBatch batch) => batch.Images.Select(i => i.Data).ToArray();

    private static string[] NamesOf(ImageBatch batch) => batch.Images.Select(i => i.Name).ToArray();

    private const int MemoryRetryAfterSeconds = 1;

    private static double Elapsed(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    /// <summary>
    /// Decoding, resizing, packing, decoding the detector's answer and alignment happen on the thread pool, the
    /// model calls on the slice scheduler's threads, never on the Orleans scheduler; only the result comes back to
    /// the grain. The calls queue as the tenant's, and a full queue refuses the request with a typed 503.
    /// </summary>
    private async Task<T> RunOffScheduler<T>(string tenant, Func<FacePipeline, long, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await Task.Run(() => work(slice.PipelineFor(tenant), Stopwatch.GetTimestamp()), cancellationToken);
        }
        catch (ModelQueueFullException full)
        {
            throw new SliceBusyException(slice.Id, full.RetryAfterSeconds, full.Message);
        }
        catch (ModelMemoryExhaustedException exhausted)
        {
            // The cap, not the queue, refused it: the calls in flight hold the memory for a model call or two.
            throw new SliceBusyException(slice.Id, MemoryRetryAfterSeconds, $"Slice '{slice.Id}': {exhausted.Message}");
        }
    }
}
