using FaceOrleans.Vision;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains.Slices;

/// <summary>
/// The slice this silo owns: its ONNX Runtime sessions, its pipeline and the scheduler that runs every
/// model call on it. One per silo process; the InferenceGrain is its only door.
/// </summary>
public sealed class LocalSlice : IDisposable
{
    private readonly OnnxSessionFactory _sessions;

    private readonly ILocalSiloDetails _silo;

    public LocalSlice(IOptions<SliceOptions> slice, IOptions<ModelOptions> models, ILocalSiloDetails silo, ILoggerFactory loggerFactory)
    {
        _silo = silo;
        Options = slice.Value;
        var problems = Options.Validate();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(SliceOptions.Section, typeof(SliceOptions), problems);
        }

        Scheduler = new SliceScheduler(Options.Id, Options.ToSchedulerOptions());
        _sessions = new OnnxSessionFactory(
            ModelCatalog.Locate(models.Value.Directory), Options.ToInferenceOptions(), loggerFactory.CreateLogger<OnnxSessionFactory>());
        try
        {
            // Creating the pipeline loads and verifies every model now, so a missing or corrupt file stops the
            // silo at start-up instead of failing its first request.
            var (detector, recognizer) = Options.ModelNames(_sessions.Catalog.Manifest);
            Pipeline = FacePipeline.Create(_sessions, detector, recognizer, runner: Scheduler.For(ProbeTenant), sides: Options.DetectionSides);
        }
        catch
        {
            Dispose();
            throw;
        }

        ExecutionProvider = Pipeline.Detector.ExecutionProvider;
        Recognizer = EmbeddingModel.Of(Pipeline.Recognizer.Spec);
    }

    /// <summary>The recognizer whose embeddings this slice produces, as galleries record it.</summary>
    public EmbeddingModel Recognizer { get; }

    public SliceOptions Options { get; }

    public string Id => Options.Id;

    public FacePipeline Pipeline { get; }

    /// <summary>Where every model call on the slice waits and runs; <see cref="PipelineFor"/> queues calls as one tenant's.</summary>
    public SliceScheduler Scheduler { get; }

    /// <summary>The name the slice's own calls (probes, warm-up) queue under, beside its tenants.</summary>
    public const string ProbeTenant = "(slice)";

    /// <summary>The slice's pipeline with its model calls queued as <paramref name="tenant"/>'s, for fairness between tenants.</summary>
    public FacePipeline PipelineFor(string tenant) => Pipeline.WithRunner(Scheduler.For(tenant));

    /// <summary>The provider the models actually run on (CPU after a CUDA fallback).</summary>
    public string ExecutionProvider { get; }

    /// <summary>ONNX Runtime calls in progress on this slice's sessions, and the most ever at once.</summary>
    public ConcurrencyGauge ModelCalls => _sessions.Runs;

    public bool IsPinned(string tenantId) => Options.Tenants.Contains(tenantId, StringComparer.Ordinal);

    /// <summary>This slice and silo (as <see cref="SiloAddress.ToParsableString"/>), as seen by the given tenant.</summary>
    public SliceLocation Location(string? tenantId = null) => new(
        Id,
        _silo.SiloAddress.ToParsableString(),
        Options.Device,
        IsStandby: tenantId is not null && !IsPinned(tenantId) && Options.StandbyFor.Contains(tenantId, StringComparer.Ordinal));

    /// <summary>
    /// Runs each model once (a detection of the probe image, an embedding of a grey face), so the first tenant call
    /// after start-up does not pay for the first run of every session.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var pipeline = PipelineFor(ProbeTenant);
        await pipeline.DetectAsync([ProbeImage.Png], pipeline.ModelDefaults, cancellationToken);
        using var face = new OpenCvSharp.Mat(112, 112, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(128));
        FacePoint[] landmarks = [new(38, 52), new(74, 52), new(56, 72), new(42, 92), new(70, 92)];
        await pipeline.EmbedFacesAsync([(face, new DetectedFace(new FaceBox(8, 8, 104, 104), 1, landmarks))], cancellationToken);
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        _sessions.Dispose();
    }
}
