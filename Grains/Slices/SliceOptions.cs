using FaceOrleans.Vision;
using Microsoft.Extensions.Configuration;

namespace FaceOrleans.Grains.Slices;

/// <summary>The one slice this silo owns (section <c>FaceOrleans:Slice</c>).</summary>
public sealed class SliceOptions
{
    public const string Section = "FaceOrleans:Slice";

    /// <summary>The slice's lists an operator gives whole (see <c>ConfigurationLists.UseWholeLists</c>), read by every silo.</summary>
    public static IReadOnlyList<string> WholeLists { get; } =
        [ConfigurationPath.Combine(Section, nameof(Tenants)), ConfigurationPath.Combine(Section, nameof(StandbyFor))];

    /// <summary>Cluster-wide name of the slice, e.g. <c>mig-1</c>; the InferenceGrain key.</summary>
    public string Id { get; set; } = "cpu-0";

    /// <summary>
    /// <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, or an NVIDIA UUID (<c>MIG-…</c> or <c>GPU-…</c>). A UUID is exported as
    /// CUDA_VISIBLE_DEVICES so the slice is device 0 inside this process and nothing else is visible.
    /// </summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// Stop the silo at start-up when a model cannot load on the CUDA provider, instead of serving from the CPU
    /// with a warning; for a slice that exists for its GPU (and for measuring one).
    /// </summary>
    public bool RequireGpu { get; set; }

    /// <summary>Cap on ONNX Runtime's CUDA arena in MiB (0 = none); keep it under the MIG slice's memory.</summary>
    public long GpuMemoryLimitMb { get; set; }

    /// <summary>Tenants pinned to this slice.</summary>
    public List<string> Tenants { get; set; } = [];

    /// <summary>Tenants this slice serves only while their own slice has no live silo.</summary>
    public List<string> StandbyFor { get; set; } = [];

    /// <summary>Detector and recognizer from models/manifest.json; null takes the manifest's defaults.</summary>
    public string? Detector { get; set; }

    public string? Recognizer { get; set; }

    /// <summary>
    /// <c>fp32</c> or <c>int8</c>: whether the slice runs <see cref="Detector"/> and <see cref="Recognizer"/> as published
    /// or their static int8 derivations from the manifest (docs/int8.md); an int8 recognizer is its own model id, so a
    /// gallery filled in one precision refuses the other (409 gallery-model-mismatch). Null takes the device's default,
    /// <see cref="DefaultPrecision"/>.
    /// </summary>
    public ModelPrecision? Precision { get; set; }

    /// <summary>
    /// A CPU slice's precision when none is configured. int8 would be it only if it held fp32's accuracy on the shared
    /// photos, and it does not: the embeddings' cosine to fp32 falls to 0.82 and the detector finds other faces on 5 of
    /// 64 photos (docs/int8.md; Int8AgreementTests measure it on every run and fail when this no longer follows).
    /// </summary>
    public const ModelPrecision CpuDefaultPrecision = ModelPrecision.Fp32;

    /// <summary>The precision when none is configured: <see cref="CpuDefaultPrecision"/> on a CPU, fp32 on a GPU (int8 QDQ is a CPU-provider format here).</summary>
    public ModelPrecision DefaultPrecision => Device == "cpu" ? CpuDefaultPrecision : ModelPrecision.Fp32;

    /// <summary>The detector and recognizer this slice runs: the configured (or the manifest's default) ones at its precision.</summary>
    public (string Detector, string Recognizer) ModelNames(ModelManifest manifest)
    {
        var precision = Precision ?? DefaultPrecision;
        return (manifest.At(string.IsNullOrEmpty(Detector) ? manifest.Defaults.Detector : Detector, precision),
            manifest.At(string.IsNullOrEmpty(Recognizer) ? manifest.Defaults.Recognizer : Recognizer, precision));
    }

    /// <summary>
    /// Long side, in pixels, images are detected at for /detect and /embed and when the prominent-face size finds
    /// nothing; null takes the detector's input size from the manifest (640 for RetinaFace).
    /// </summary>
    public int? DetectionSide { get; set; }

    /// <summary>
    /// Long side tried first for compare, enroll, identify and verify, which need the most prominent face; null takes
    /// the manifest's <c>prominent_face_side</c>. Set it to <see cref="DetectionSide"/> to always detect at full size.
    /// </summary>
    public int? ProminentFaceDetectionSide { get; set; }

    /// <summary>
    /// CPU threads per model call (0 = one per core); null takes the device's: 1 on a CPU slice, which then runs two
    /// calls per core (<see cref="ConcurrentCalls"/>), the fastest there by docs/load/fourth-pass.md; ONNX Runtime's own on a GPU.
    /// </summary>
    public int? IntraOpThreads { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin between operators. Off by default: spinning threads burn the cores
    /// that the slice's other calls (and other silos on the host) need; see docs/load.md, "Load".
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>ONNX Runtime's memory pattern (its default); see docs/benchmarks.md.</summary>
    public bool EnableMemoryPattern { get; set; } = true;

    /// <summary>ONNX Runtime's CPU memory arena (its default); see docs/soak.md for what it costs in resident memory.</summary>
    public bool EnableCpuMemArena { get; set; } = true;

    /// <summary>
    /// Whether the CPU provider loads a model's CPU form where the manifest gives one (models/README.md, "CPU forms"):
    /// the same answers bit for bit, for less CPU. Off only to measure the model file itself, or to rule the form out.
    /// </summary>
    public bool UseCpuForms { get; set; } = true;

    /// <summary>
    /// One CPU arena for the process, growing by what is asked, instead of one per session that doubles (on by
    /// default; docs/soak.md, "The arena that doubled").
    /// </summary>
    public bool ShareCpuArena { get; set; } = true;

    /// <summary>Most images or faces in one model call, from one request or many (a GPU slice's micro-batch).</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>
    /// Model calls the slice runs at once; null takes the device's policy: 1 on a GPU, and on a CPU twice the cores
    /// divided by <see cref="IntraOpThreads"/> (two per core by default; 1 when it is 0).
    /// </summary>
    public int? ConcurrentCalls { get; set; }

    /// <summary>
    /// GPU slices only: how long, in milliseconds, the oldest waiting image or face may wait for others of its size to
    /// share its model call when fewer than <see cref="MaxBatchSize"/> are waiting. A CPU slice never waits: a batch
    /// saves it nothing (docs/benchmarks.md, "Reading the numbers").
    /// </summary>
    public double MaxBatchWaitMs { get; set; } = 2;

    /// <summary>Images or faces that may wait for the slice's models; past it requests get 503 <c>slice-busy</c> with Retry-After.</summary>
    public int QueueCapacity { get; set; } = 256;

    public bool IsNvidiaUuid => Device.StartsWith("MIG-", StringComparison.Ordinal) || Device.StartsWith("GPU-", StringComparison.Ordinal);

    private const int MinDetectionSide = 64;
    private const int MaxDetectionSide = 4096;

    /// <summary>The detection sizes asked for; the pipeline fills in the manifest's for those left null.</summary>
    public DetectionSides DetectionSides => new(DetectionSide, ProminentFaceDetectionSide);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Id) || Id.Contains(',', StringComparison.Ordinal))
        {
            problems.Add("FaceOrleans:Slice:Id must be a non-empty name without commas");
        }

        if (!(IsNvidiaUuid || Device is "cpu" or "cuda" || (Device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(Device.AsSpan(5), out _))))
        {
            problems.Add($"FaceOrleans:Slice:Device '{Device}' must be cpu, cuda, cuda:N, or a MIG-/GPU- UUID");
        }

        if (RequireGpu && Device == "cpu")
        {
            problems.Add("FaceOrleans:Slice:RequireGpu is true but FaceOrleans:Slice:Device is 'cpu'; name a GPU (cuda, cuda:N or a UUID)");
        }

        var both = Tenants.Intersect(StandbyFor, StringComparer.Ordinal).ToArray();
        if (both.Length > 0)
        {
            problems.Add($"tenants both pinned to and on standby for slice '{Id}': {string.Join(", ", both)}");
        }

        if (Tenants.Concat(StandbyFor).Any(t => string.IsNullOrWhiteSpace(t) || t.Contains(',', StringComparison.Ordinal)))
        {
            problems.Add("tenant ids must be non-empty and contain no commas");
        }

        if (DetectionSide is < MinDetectionSide or > MaxDetectionSide || ProminentFaceDetectionSide is < MinDetectionSide or > MaxDetectionSide)
        {
            problems.Add($"FaceOrleans:Slice:DetectionSide and ProminentFaceDetectionSide must be between {MinDetectionSide} and {MaxDetectionSide} px");
        }

        problems.AddRange(ToSchedulerOptions().Validate().Select(p => $"FaceOrleans:Slice scheduler: {p}"));
        return problems;
    }

    /// <summary><see cref="IntraOpThreads"/> with the device's default applied.</summary>
    private int ThreadsPerCall => IntraOpThreads ?? (Device == "cpu" ? 1 : 0);

    /// <summary>The slice scheduler's policy for this slice's device, with what the settings override.</summary>
    public SchedulerOptions ToSchedulerOptions()
    {
        var policy = SchedulerOptions.ForDevice(
            gpu: Device != "cpu", ThreadsPerCall, Math.Max(1, MaxBatchSize), TimeSpan.FromMilliseconds(MaxBatchWaitMs), Environment.ProcessorCount);
        return policy with { ConcurrentCalls = ConcurrentCalls ?? policy.ConcurrentCalls, QueueCapacity = QueueCapacity };
    }

    /// <summary>The ONNX Runtime settings for this slice; exports CUDA_VISIBLE_DEVICES for a UUID device.</summary>
    public InferenceOptions ToInferenceOptions()
    {
        var device = Device;
        if (IsNvidiaUuid)
        {
            // CUDA reads this when it initialises, which happens on the first CUDA session below; .NET's
            // Environment.SetEnvironmentVariable does not reach native getenv on Unix, so call setenv.
            if (OperatingSystem.IsLinux())
            {
                _ = NativeEnvironment.SetEnv("CUDA_VISIBLE_DEVICES", Device, 1);
            }

            Environment.SetEnvironmentVariable("CUDA_VISIBLE_DEVICES", Device);
            device = "cuda:0";
        }

        return new InferenceOptions
        {
            Device = device,
            GpuMemoryLimitBytes = GpuMemoryLimitMb * 1024 * 1024,
            RequireGpu = RequireGpu,
            IntraOpThreads = ThreadsPerCall,
            AllowSpinning = AllowSpinning,
            EnableMemoryPattern = EnableMemoryPattern,
            EnableCpuMemArena = EnableCpuMemArena,
            ShareCpuArena = ShareCpuArena,
            UseCpuForms = UseCpuForms,
            MaxBatchSize = MaxBatchSize,
        };
    }
}
