namespace FaceOrleans.Vision;

/// <summary>Where and how ONNX Runtime runs the models of one slice.</summary>
public sealed class InferenceOptions
{
    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. A MIG slice is made device 0 by CUDA_VISIBLE_DEVICES.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// When the device is CUDA: a model that cannot load on the CUDA provider stops start-up instead of falling
    /// back to the CPU provider with a warning.
    /// </summary>
    public bool RequireGpu { get; set; }

    /// <summary>Cap on the CUDA arena in bytes (ONNX Runtime's <c>gpu_mem_limit</c>); 0 means no cap.</summary>
    public long GpuMemoryLimitBytes { get; set; }

    /// <summary><c>kNextPowerOfTwo</c> or <c>kSameAsRequested</c>; the latter keeps a small MIG slice from over-reserving.</summary>
    public string ArenaExtendStrategy { get; set; } = "kSameAsRequested";

    /// <summary>Threads inside one operator on the CPU provider; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; set; }

    public int InterOpThreads { get; set; } = 1;

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin while waiting for work (its <c>session.intra_op.allow_spinning</c>).
    /// Spinning shaves the wake-up off each operator but burns a core between calls and between operators.
    /// </summary>
    public bool AllowSpinning { get; set; } = true;

    /// <summary>ONNX Runtime's memory pattern: plans the buffers of one input shape ahead and reuses the plan.</summary>
    public bool EnableMemoryPattern { get; set; } = true;

    /// <summary>
    /// ONNX Runtime's CPU arena: tensors of the CPU provider come from blocks the session keeps, and never returns,
    /// instead of from malloc.
    /// </summary>
    public bool EnableCpuMemArena { get; set; } = true;

    /// <summary>
    /// With the CPU arena on: one arena for the whole process that grows by what each tensor asks for
    /// (<see cref="SharedCpuArena"/>), instead of one per session that doubles. On by default: the sessions' own
    /// arenas kept a silo's memory climbing under mixed image and batch sizes (docs/soak.md).
    /// </summary>
    public bool ShareCpuArena { get; set; } = true;

    /// <summary>Whether the CPU provider loads a model's CPU form (<see cref="CpuFormSpec"/>) where the manifest gives one.</summary>
    public bool UseCpuForms { get; set; } = true;

    /// <summary>Largest number of images or faces sent to a model in one call; bounds memory per call.</summary>
    public int MaxBatchSize { get; set; } = 16;

    public bool WantsCuda => Device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase);

    public int CudaDeviceId
    {
        get
        {
            var colon = Device.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? 0 : int.Parse(Device.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
