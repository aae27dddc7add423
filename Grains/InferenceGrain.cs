using System.Diagnostics;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Vision;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace FaceOrleans.Grains;

/// <summary>
/// The door to this silo's slice. Reentrant on purpose: concurrent requests wait in the slice's
/// <see cref="SerialModelRunner"/>, which runs one model call at a time on its own thread, rather than in this
/// grain's mailbox, so decoding and alignment of the next request overlap the current model call and the
/// queue depth is visible. The grain keeps no state between awaits. Options arrive resolved by the tenant;
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

    public Task<CompareResult> Compare(CompareRequest request, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(async (pipeline, started) =>
        {
            var result = await pipeline.CompareAsync(request.Image1, request.Image2, options, cancellationToken);
            return new CompareResult(result.Similarity, result.IsSamePerson, result.Threshold, result.Message,
                result.Faces1.ToContract(), result.Faces2.ToContract(), result.MissingFaceIn, slice.Id, Elapsed(started));
        }, cancellationToken);

    public Task<DetectResult> Detect(DetectRequest request, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(async (pipeline, started) =>
        {
            var faces = await pipeline.DetectAsync([request.Image], options, cancellationToken);
            return new DetectResult(faces[0].ToContract(options.Quality), slice.Id, Elapsed(started));
        }, cancellationToken);

    public Task<EmbedResult> Embed(EmbedRequest request, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(async (pipeline, started) =>
        {
            var faces = await pipeline.EmbedAsync([request.Image], options, request.ProminentFaceFirst, cancellationToken);
            return new EmbedResult(
                faces[0].ToContract(options.Quality),
                pipeline.Recognizer.ModelName,
                pipeline.Recognizer.EmbeddingSize,
                slice.Id,
                Elapsed(started),
                options.SimilarityThreshold,
                options.IdentificationThreshold);
        }, cancellationToken);

    public Task<DetectBatchResult> DetectBatch(ImageBatch batch, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(async (pipeline, started) =>
        {
            var images = await pipeline.DetectEachAsync(DataOf(batch), NamesOf(batch), options, cancellationToken);
            return new DetectBatchResult(
                images.Select(r => new ImageFaces(r.Value?.ToContract(options.Quality) ?? [], r.Rejection)).ToArray(), slice.Id, Elapsed(started));
        }, cancellationToken);

    public Task<EmbedBatchResult> EmbedBatch(ImageBatch batch, FaceOptions options, CancellationToken cancellationToken = default) =>
        RunOffScheduler(async (pipeline, started) =>
        {
            var images = await pipeline.EmbedEachAsync(DataOf(batch), NamesOf(batch), options, cancellationToken);
            return new EmbedBatchResult(
                images.Select(r => new ImageEmbeddings(r.Value?.ToContract(options.Quality) ?? [], r.Rejection)).ToArray(),
                pipeline.Recognizer.ModelName,
                pipeline.Recognizer.EmbeddingSize,
                slice.Id,
                Elapsed(started),
                options.SimilarityThreshold);
        }, cancellationToken);

    public Task<DetectResult> Probe(CancellationToken cancellationToken = default) =>
        Detect(new DetectRequest(ProbeImage.Png), slice.Pipeline.ModelDefaults, cancellationToken);

    public Task<InferenceStats> GetStats()
    {
        var stats = slice.Runner.Stats;
        var runs = stats.Completed + stats.Failed;
        return Task.FromResult(new InferenceStats(
            slice.Location(),
            slice.ExecutionProvider,
            stats.Queued,
            stats.Running,
            stats.Completed,
            stats.Failed,
            slice.ModelCalls.Max,
            runs == 0 ? 0 : stats.TotalRunMilliseconds / runs,
            slice.ModelCalls.Entered == 0 ? 0 : (double)slice.ModelCalls.Items / slice.ModelCalls.Entered,
            stats.Cancelled));
    }

    private static byte[][] DataOf(ImageBatch batch) => batch.Images.Select(i => i.Data).ToArray();

    private static string[] NamesOf(ImageBatch batch) => batch.Images.Select(i => i.Name).ToArray();

    private static double Elapsed(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    /// <summary>
    /// Decoding, alignment and the wait for the model slot all happen on the thread pool and the slice's
    /// inference thread, never on the Orleans scheduler; only the result comes back to the grain.
    /// </summary>
    private Task<T> RunOffScheduler<T>(Func<FacePipeline, long, Task<T>> work, CancellationToken cancellationToken) =>
        Task.Run(() => work(slice.Pipeline, Stopwatch.GetTimestamp()), cancellationToken);
}
