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

    /// <summary>The detector named in the manifest, loaded and verified on first use.</summary>
    public RetinaFaceDetector Detector(string modelName) =>
        Network(modelName, name => new RetinaFaceDetector(CreateSession(name), _options.MaxBatchSize));

    /// <summary>The recognizer named in the manifest, loaded and verified on first use.</summary>
    public FaceRecognizer Recognizer(string modelName) =>
        Network(modelName, name => new FaceRecognizer(CreateSession(name), _options.MaxBatchSize));

    /// <summary>A new session on this factory's device, its runs counted on <see cref="Runs"/>; the caller disposes it.</summary>
    public ModelSession CreateSession(string modelName)
    {
        var model = _catalog.Get(modelName);
        var path = _catalog.VerifiedPathOf(model);
        var (options, provider) = CreateSessionOptions(model);
        try
        {
            var session = new InferenceSession(path, options);
            LogModelLoaded(_logger, model.Name, path, provider);
            return new ModelSession(model, session, provider, Runs);
        }
        finally
        {
            options.Dispose();
        }
    }

    private T Network<T>(string modelName, Func<string, T> create)
        where T : class, IDisposable
    {
        var network = _networks.GetOrAdd(modelName, name => new Lazy<IDisposable>(() => create(name))).Value;
        return network as T ?? throw new ModelUnavailableException(modelName,
            $"'{modelName}' is already loaded as a {network.GetType().Name}, not a {typeof(T).Name}.");
    }

    private (SessionOptions Options, string Provider) CreateSessionOptions(ModelSpec model)
    {
        if (_options.WantsCuda)
        {
            var cudaOptions = TryCreateCudaOptions(model);
            if (cudaOptions is not null)
            {
                return (cudaOptions, $"CUDA:{_options.CudaDeviceId}");
            }
        }

        return (CreateCpuOptions(), "CPU");
    }

    private SessionOptions? TryCreateCudaOptions(ModelSpec model)
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
            return options;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            // A silo configured for a GPU that cannot load CUDA still serves, slower, rather than refusing
            // every request; the warning makes the degraded slice visible in the logs.
            LogCudaFallback(_logger, ex, model.Name, _options.Device);
            options.Dispose();
            return null;
        }
    }

    private SessionOptions CreateCpuOptions()
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = _options.InterOpThreads,
            IntraOpNumThreads = _options.IntraOpThreads,
        };
        return options;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model} from {Path} on {Provider}")]
    private static partial void LogModelLoaded(ILogger logger, string model, string path, string provider);

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
