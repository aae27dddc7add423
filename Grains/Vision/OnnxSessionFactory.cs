using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Vision;

/// <summary>
/// Creates one ONNX Runtime session per model and reuses it: sessions are thread-safe for Run and
/// expensive to build (graph optimisation, CUDA arena), so a process must never hold two per model.
/// </summary>
public sealed partial class OnnxSessionFactory : IDisposable
{
    private readonly ModelCatalog _catalog;
    private readonly InferenceOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<ModelSession>> _sessions = new(StringComparer.Ordinal);

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

    public ModelSession Get(string modelName) =>
        _sessions.GetOrAdd(modelName, name => new Lazy<ModelSession>(() => Create(_catalog.Get(name)))).Value;

    private ModelSession Create(ModelSpec model)
    {
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
            EnableMemoryPattern = _options.EnableMemoryPattern,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", _options.AllowSpinning ? "1" : "0");
        return options;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model} from {Path} on {Provider}")]
    private static partial void LogModelLoaded(ILogger logger, string model, string path, string provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CUDA execution provider unavailable for model {Model} on {Device}; falling back to the CPU provider")]
    private static partial void LogCudaFallback(ILogger logger, Exception exception, string model, string device);

    public void Dispose()
    {
        foreach (var lazy in _sessions.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Session.Dispose();
            }
        }

        _sessions.Clear();
    }
}

/// <summary>A loaded model and the execution provider it actually runs on.</summary>
public sealed record ModelSession(ModelSpec Model, InferenceSession Session, string ExecutionProvider, ConcurrencyGauge Runs)
{
    /// <summary>Runs the model with one input; counted on <see cref="Runs"/>.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(OrtValue input, IReadOnlyCollection<string> outputNames)
    {
        using var scope = Runs.Enter((int)input.GetTensorTypeAndShape().Shape[0]);
        using var runOptions = new RunOptions();
        return Session.Run(runOptions, [Model.Input.Name], [input], outputNames);
    }
}
