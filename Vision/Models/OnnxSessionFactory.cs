using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Vision;

/// <summary>
/// Creates ONNX Runtime sessions on one slice's device (falling back to the CPU when CUDA cannot load) and
/// keeps the networks built on them: <see cref="Detector"/> and <see cref="Recognizer"/> build each model once
/// and hand out the same network after, because sessions are thread-safe for Run and expensive to build (graph
/// optimisation, CUDA arena), so a process must never hold two per model. Those networks belong to the factory;
/// a session from <see cref="CreateSession"/> belongs to whoever asked for it.
/// </summary>
public sealed partial class OnnxSessionFactory : IDisposable
{
    private readonly ModelCatalog _catalog;
    private readonly InferenceOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<IDisposable>> _networks = new(StringComparer.Ordinal);

    public OnnxSessionFactory(ModelCatalog catalog, InferenceOptions options, ILogger<OnnxSessionFactory>? logger = null)
    {
        _catalog = catalog;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public ModelCatalog Catalog => _catalog;

    public InferenceOptions Options => _options;

    /// <summary>Every Run on this factory's sessions, to show how many ever overlapped.</summary>
    public ConcurrencyGauge Runs { get; } = new();

    /// <summary>The detector named in the manifest, of the family its entry names, loaded and verified on first use.</summary>
    public IFaceDetector Detector(string modelName) => Network<IFaceDetector>(modelName, name =>
        _catalog.Get(name).Detector?.Family switch
        {
            DetectorSpec.RetinaFace or null => new RetinaFaceDetector(CreateSession(name), _options.MaxBatchSize),
            var family => throw new ModelUnavailableException(name, $"'{name}' is a detector of family '{family}', which this build does not know; known: {DetectorSpec.RetinaFace}."),
        });

    /// <summary>The recognizer named in the manifest, loaded and verified on first use.</summary>
    public FaceRecognizer Recognizer(string modelName) =>
        Network(modelName, name => new FaceRecognizer(CreateSession(name), _options.MaxBatchSize));

    /// <summary>A new session on this factory's device, its runs counted on <see cref="Runs"/>; the caller disposes it.</summary>
    public ModelSession CreateSession(string modelName)
    {
        var model = _catalog.Get(modelName);
        // Verified once, whichever provider loads: a damaged install stops every slice alike.
        var modelFile = _catalog.VerifiedPathOf(model);
        if (_options.WantsCuda)
        {
            var onCuda = TryCreateOnCuda(model, modelFile);
            if (onCuda is not null)
            {
                return onCuda;
            }
        }

        // The CPU provider gets the model's CPU form where it has one: the same outputs for less CPU (CpuFormSpec).
        var path = _options.UseCpuForms ? _catalog.CpuPathOf(model, modelFile) : modelFile;
        using var options = CreateCpuOptions();
        return Loaded(model, path, StartSession(model, path, options), "CPU");
    }

    private T Network<T>(string modelName, Func<string, T> create)
        where T : class, IDisposable
    {
        var network = _networks.GetOrAdd(modelName, name => new Lazy<IDisposable>(() => create(name))).Value;
        return network as T ?? throw new ModelUnavailableException(modelName,
            $"'{modelName}' is already loaded as a {network.GetType().Name}, not a {typeof(T).Name}.");
    }

    /// <summary>
    /// The session on the CUDA provider, or null to fall back to the CPU. ONNX Runtime loads the provider library
    /// (and through it the CUDA libraries) when the provider is appended, opens the device when the session is
    /// built and may open cuDNN only at the first run, so a failure at any of these steps means the model cannot
    /// run on the GPU here.
    /// </summary>
    private ModelSession? TryCreateOnCuda(ModelSpec model, string path)
    {
        var options = CreateCpuOptions();
        try
        {
            using var cuda = new OrtCUDAProviderOptions();
            var settings = new Dictionary<string, string>
            {
                ["device_id"] = _options.CudaDeviceId.ToString(CultureInfo.InvariantCulture),
                ["arena_extend_strategy"] = _options.ArenaExtendStrategy,
            };
            if (_options.GpuMemoryLimitBytes > 0)
            {
                settings["gpu_mem_limit"] = _options.GpuMemoryLimitBytes.ToString(CultureInfo.InvariantCulture);
            }

            cuda.UpdateOptions(settings);
            options.AppendExecutionProvider_CUDA(cuda);
            return Loaded(model, path, StartSession(model, path, options), $"CUDA:{_options.CudaDeviceId}");
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            if (_options.RequireGpu)
            {
                // A slice that must be on the GPU (a benchmark, a GPU-sized tenant) must not quietly serve from the CPU.
                throw new ModelUnavailableException(model.Name,
                    $"model '{model.Name}' cannot run on the CUDA execution provider ({_options.Device}) and the slice requires a GPU " +
                    $"(FaceOrleans:Slice:RequireGpu=true): {ex.Message.Trim()} {CudaRequirements}");
            }

            // Otherwise a silo configured for a GPU that cannot load CUDA still serves, slower, rather than refusing
            // every request; the warning makes the degraded slice visible in the logs.
            LogCudaFallback(_logger, ex, model.Name, _options.Device);
            return null;
        }
        finally
        {
            options.Dispose();
        }
    }

    /// <summary>What ONNX Runtime 1.31's CUDA provider needs on the machine; see docker/README.md for how to check.</summary>
    public const string CudaRequirements =
        "ONNX Runtime 1.31's CUDA provider needs an NVIDIA driver for CUDA 13, the CUDA 13 libraries libcudart.so.13, " +
        "libcublas.so.13, libcublasLt.so.13 and libcurand.so.10, and cuDNN 9 (libcudnn.so.9) on the library path (LD_LIBRARY_PATH).";

    /// <summary>
    /// Builds the session and runs it once on a blank batch-1 input, so whatever a provider loads or tunes on its
    /// first run (cuDNN, kernel choice) happens at start-up rather than in the first request.
    /// </summary>
    private static InferenceSession StartSession(ModelSpec model, string path, SessionOptions options)
    {
        var session = new InferenceSession(path, options);
        try
        {
            var input = model.Input;
            using var blank = OrtValue.CreateTensorValueFromMemory(new float[3 * input.Width * input.Height], [1, 3, input.Height, input.Width]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [input.Name], [blank], session.OutputNames);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private ModelSession Loaded(ModelSpec model, string path, InferenceSession session, string provider)
    {
        LogModelLoaded(_logger, model.Name, path, provider, _options.Device);
        return new ModelSession(model, path, session, provider, Runs);
    }

    private SessionOptions CreateCpuOptions()
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = _options.InterOpThreads,
            IntraOpNumThreads = _options.IntraOpThreads,
            EnableMemoryPattern = _options.EnableMemoryPattern,
            EnableCpuMemArena = _options.EnableCpuMemArena,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", _options.AllowSpinning ? "1" : "0");
        if (_options.EnableCpuMemArena && _options.ShareCpuArena)
        {
            SharedCpuArena.EnsureRegistered();
            options.AddSessionConfigEntry("session.use_env_allocators", "1");
        }

        return options;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model} from {Path} on execution provider {Provider} (device asked for: {Device})")]
    private static partial void LogModelLoaded(ILogger logger, string model, string path, string provider, string device);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CUDA execution provider unavailable for model {Model} on {Device}; falling back to the CPU provider")]
    private static partial void LogCudaFallback(ILogger logger, Exception exception, string model, string device);

    public void Dispose()
    {
        foreach (var lazy in _networks.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Dispose();
            }
        }

        _networks.Clear();
    }
}
