using System.Diagnostics;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Vision;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace FaceOrleans.Grains;

/// <summary>
/// One tenant, placed on the silo that owns its slice (or its standby slice while that is down). It resolves
/// each call's options against the tenant's settings and the slice's model defaults, sends the work to its own
/// slice's InferenceGrain and keeps the tenant's counters. Reentrant on purpose: a tenant's concurrent requests
/// should queue at the slice, not behind each other here; state is only touched between awaits, on the grain's
/// single thread.
/// </summary>
[Reentrant]
[TenantScoped]
[GrainType("tenant")]
public sealed partial class TenantGrain(
    [PersistentState("tenant", FaceOrleansStorage.Name)] IPersistentState<TenantRecord> state,
    LocalSlice localSlice,
    IOptions<TenantGrainOptions> options,
    ILogger<TenantGrain> logger) : Grain, ITenantGrain, IDisposable
{
    // Reentrancy lets a timer flush and Configure overlap; two writes with the same ETag would conflict.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _countersDirty;
    private IGrainTimer? _flushTimer;

    // The slice's model defaults and recognizer, asked of its InferenceGrain once: they are fixed for the slice's life.
    private SliceModels? _models;

    private string TenantId => this.GetPrimaryKeyString();

    /// <summary>The door to this silo's slice: the tenant's own, or its standby.</summary>
    private IInferenceGrain Inference => GrainFactory.GetGrain<IInferenceGrain>(localSlice.Id);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var period = options.Value.CounterFlushInterval;
        _flushTimer = this.RegisterGrainTimer(FlushCountersAsync, new GrainTimerCreationOptions(period, period) { Interleave = true });
        LogActivated(logger, TenantId, localSlice.Id, RuntimeIdentity);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _flushTimer?.Dispose();
        await FlushCountersAsync(cancellationToken);
    }

    public async Task<CompareResult> Compare(CompareRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var resolved = await ResolveAsync(options);
        var result = await Track("compare", () => Inference.Compare(TenantId, request, resolved, cancellationToken), r => r.Faces1.Count + r.Faces2.Count);

        // Counted as served, since the slice did its work; refused as enrollment refuses a photo without a face.
        return result.MissingFaceIn is { } missing
            ? throw new RequestRejectedException(RejectionCode.NoFace, missing, result.Message) { Slice = result.SliceId }
            : result;
    }

    public async Task<DetectResult> Detect(DetectRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var resolved = await ResolveAsync(options);
        return await Track("detect", () => Inference.Detect(TenantId, request, resolved, cancellationToken), r => r.Faces.Count);
    }

    public async Task<EmbedResult> Embed(EmbedRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var resolved = await ResolveAsync(options);
        return await Track("embed", () => Inference.Embed(TenantId, request, resolved, cancellationToken), r => r.Faces.Count);
    }

    public async Task<DetectBatchResult> DetectBatch(ImageBatch batch, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var resolved = await ResolveAsync(options);
        return await Track("detect_batch", () => Inference.DetectBatch(TenantId, batch, resolved, cancellationToken),
            r => r.Images.Sum(i => i.Faces.Count), r => r.Images.Count(i => i.Failure is not null));
    }

    public async Task<EmbedBatchResult> EmbedBatch(ImageBatch batch, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var resolved = await ResolveAsync(options);
        return await Track("embed_batch", () => Inference.EmbedBatch(TenantId, batch, resolved, cancellationToken),
            r => r.Images.Sum(i => i.Faces.Count), r => r.Images.Count(i => i.Failure is not null));
    }

    public Task<TenantState> GetState()
    {
        var record = state.State;
        return Task.FromResult(new TenantState(
            TenantId,
            record.Settings,
            new Dictionary<string, long>(record.RequestsByOperation, StringComparer.Ordinal),
            record.FacesDetected,
            record.Errors,
            record.LastRequestUtc,
            record.Latency.Summary(),
            Location()));
    }

    public async Task<TenantState> Configure(TenantSettings settings)
    {
        settings.ThrowIfInvalid();
        state.State.Settings = settings;
        await WriteAsync(CancellationToken.None);
        return await GetState();
    }

    public async Task Forget()
    {
        await _writeLock.WaitAsync();
        try
        {
            // Not dirty any more: the flush on deactivation must not write the old counters back.
            _countersDirty = false;
            await state.ClearStateAsync();
            state.State = new TenantRecord();
        }
        finally
        {
            _writeLock.Release();
        }

        DeactivateOnIdle();
    }

    public Task<TenantSettings> GetSettings() => Task.FromResult(state.State.Settings);

    public async Task<MatchThresholds> GetThresholds()
    {
        var resolved = await ResolveAsync(RequestOptions.None);
        return new MatchThresholds((await ModelsAsync()).Recognizer.Name, resolved.SimilarityThreshold, resolved.IdentificationThreshold);
    }

    public async Task<EmbeddingModel> GetRecognizer() => (await ModelsAsync()).Recognizer;

    public Task<TenantState> SetThreshold(ThresholdTarget target, float threshold)
    {
        var settings = state.State.Settings;
        return Configure(target == ThresholdTarget.Identification
            ? settings with { IdentificationThreshold = threshold }
            : settings with { SimilarityThreshold = threshold });
    }

    public Task<RateQuota?> GetRateQuota() => Task.FromResult(state.State.RateQuota);

    public async Task<RateQuota?> SetRateQuota(RateQuota? quota)
    {
        quota?.ThrowIfInvalid();
        state.State.RateQuota = quota;
        await WriteAsync(CancellationToken.None);
        return quota;
    }

    private SliceLocation Location() => localSlice.Location(TenantId);

    /// <summary>Counts the call, its faces and its latency; a failed call, or each image a batch refused, is an error.</summary>
    private async Task<T> Track<T>(string operation, Func<Task<T>> call, Func<T, int> facesIn, Func<T, int>? refusedIn = null)
    {
        var started = Stopwatch.GetTimestamp();
        var record = state.State;
        try
        {
            var result = await call();
            record.FacesDetected += facesIn(result);
            record.Errors += refusedIn?.Invoke(result) ?? 0;
            return result;
        }
        catch
        {
            record.Errors++;
            throw;
        }
        finally
        {
            record.RequestsByOperation[operation] = record.RequestsByOperation.GetValueOrDefault(operation) + 1;
            record.LastRequestUtc = DateTimeOffset.UtcNow;
            record.Latency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _countersDirty = true;
        }
    }

    /// <summary>Counters are written behind, a few seconds at a time, so a request does not wait for storage.</summary>
    private async Task FlushCountersAsync(CancellationToken cancellationToken)
    {
        if (!_countersDirty)
        {
            return;
        }

        try
        {
            await WriteAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            _countersDirty = true;
            LogFlushFailed(logger, ex, TenantId);
        }
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // Cleared before the write: a request finishing during it marks the record dirty again.
            _countersDirty = false;
            await state.WriteStateAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The options the slice runs this call with; refuses the call's own values when out of range.</summary>
    private async Task<FaceOptions> ResolveAsync(RequestOptions? call) =>
        FaceOptionsResolver.Resolve(call ?? RequestOptions.None, state.State.Settings, (await ModelsAsync()).Defaults);

    /// <summary>The slice's defaults and recognizer: the InferenceGrain is the slice's one door, asked once per activation.</summary>
    private async ValueTask<SliceModels> ModelsAsync() => _models ??= await Inference.GetModels();

    public void Dispose() => _writeLock.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {Tenant} activated on slice {Slice} (silo {Silo})")]
    private static partial void LogActivated(ILogger logger, string tenant, string slice, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing counters of tenant {Tenant} failed; will retry")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string tenant);
}
