using Orleans.Concurrency;
using System.Diagnostics;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains;

/// <summary>
/// One tenant, placed on the silo that owns its slice (or its standby slice while that is down). It resolves
/// the tenant's settings into each request, sends the work to its own slice's InferenceGrain and keeps the
/// tenant's counters. Reentrant on purpose: a tenant's concurrent requests should queue at the slice, not
/// behind each other here; state is only touched between awaits, on the grain's single thread.
/// </summary>
[Reentrant]
[TenantSlicePlacement]
public sealed partial class TenantGrain(
    [PersistentState("tenant", FaceOrleansStorage.Name)] IPersistentState<TenantRecord> state,
    LocalSlice slice,
    SliceDirectory directory,
    IOptions<TenantGrainOptions> options,
    ILogger<TenantGrain> logger) : Grain, ITenantGrain, IDisposable
{
    // Reentrancy lets a timer flush and Configure overlap; two writes with the same ETag would conflict.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _countersDirty;
    private IGrainTimer? _flushTimer;

    private string TenantId => this.GetPrimaryKeyString();

    private IInferenceGrain Slice => GrainFactory.GetGrain<IInferenceGrain>(slice.Id);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var period = options.Value.CounterFlushInterval;
        _flushTimer = this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions(period, period) { Interleave = true });
        LogActivated(logger, TenantId, slice.Id, RuntimeIdentity);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _flushTimer?.Dispose();
        await FlushCountersAsync(cancellationToken);
    }

    public Task<CompareResult> Compare(CompareRequest request)
    {
        ValidateThresholds(request.SimilarityThreshold, null);
        var (detection, maxPixels) = ResolveImageSettings(request.DetectionThreshold, request.MaxImagePixels);
        var resolved = request with
        {
            SimilarityThreshold = request.SimilarityThreshold ?? state.State.Settings.SimilarityThreshold,
            DetectionThreshold = detection,
            MaxImagePixels = maxPixels,
        };
        return Track("compare", () => Slice.Compare(resolved), r => r.Faces1.Count + r.Faces2.Count);
    }

    public Task<DetectResult> Detect(DetectRequest request)
    {
        var (detection, maxPixels) = ResolveImageSettings(request.DetectionThreshold, request.MaxImagePixels);
        var resolved = request with { DetectionThreshold = detection, MaxImagePixels = maxPixels };
        return Track("detect", () => Slice.Detect(resolved), r => r.Faces.Count);
    }

    public Task<EmbedResult> Embed(EmbedRequest request)
    {
        var (detection, maxPixels) = ResolveImageSettings(request.DetectionThreshold, request.MaxImagePixels);
        var resolved = request with { DetectionThreshold = detection, MaxImagePixels = maxPixels };
        var threshold = state.State.Settings.SimilarityThreshold;
        // The threshold the tenant compares with goes back too, so 1:N matching decides as 1:1 does.
        return Track("embed", async () =>
        {
            var result = await Slice.Embed(resolved);
            return threshold is { } own ? result with { SimilarityThreshold = own } : result;
        }, r => r.Faces.Count);
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
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidRequestException(string.Join("; ", problems));
        }

        state.State.Settings = settings;
        await WriteAsync(CancellationToken.None);
        return await GetState();
    }

    public Task<SliceLocation> Locate() => Task.FromResult(Location());

    public Task<TenantSettings> GetSettings() => Task.FromResult(state.State.Settings);

    private SliceLocation Location() => slice.Location(TenantId);

    private async Task<T> Track<T>(string operation, Func<Task<T>> call, Func<T, int> facesIn)
    {
        var started = Stopwatch.GetTimestamp();
        var record = state.State;
        try
        {
            var result = await call();
            record.FacesDetected += facesIn(result);
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

    private async Task OnTimerAsync(CancellationToken cancellationToken)
    {
        await FlushCountersAsync(cancellationToken);
        if (Location().IsStandby && directory.PinnedSliceOf(TenantId) is { } home && directory.IsSliceLive(home))
        {
            // The tenant's own slice is back: leave the standby slice so the next call is placed at home.
            LogReturningHome(logger, TenantId, slice.Id, home);
            this.DeactivateOnIdle();
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

    /// <summary>The call's detection threshold (checked) or the tenant's, and the smaller of the two pixel limits.</summary>
    private (float? Detection, long? MaxPixels) ResolveImageSettings(float? detection, long? maxPixels)
    {
        ValidateThresholds(null, detection);
        var settings = state.State.Settings;
        return (detection ?? settings.DetectionThreshold, Smaller(maxPixels, settings.MaxImagePixels));
    }

    private static void ValidateThresholds(float? similarity, float? detection)
    {
        var problems = new TenantSettings(SimilarityThreshold: similarity, DetectionThreshold: detection).Validate();
        if (problems.Count > 0)
        {
            throw new InvalidRequestException(string.Join("; ", problems));
        }
    }

    public void Dispose() => _writeLock.Dispose();

    private static long? Smaller(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {Tenant} activated on slice {Slice} (silo {Silo})")]
    private static partial void LogActivated(ILogger logger, string tenant, string slice, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {Tenant} leaves standby slice {Standby}: its slice {Home} is live again")]
    private static partial void LogReturningHome(ILogger logger, string tenant, string standby, string home);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing counters of tenant {Tenant} failed; will retry")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string tenant);
}
