using FaceOrleans.Vision;
using Microsoft.Extensions.Logging;

namespace FaceOrleans.Tests.Vision;

public sealed class ExecutionProviderTests
{
    [Fact]
    public void A_cuda_slice_without_a_usable_gpu_falls_back_to_the_cpu_provider_and_logs_it()
    {
        var logger = new RecordingLogger<OnnxSessionFactory>();
        var options = new InferenceOptions { Device = "cuda:0", GpuMemoryLimitBytes = 512L << 20 };
        using var sessions = new OnnxSessionFactory(ModelCatalog.Open(TestPaths.ModelsDirectory), options, logger);

        var detector = sessions.Detector("retinaface_mnet025");
        var again = sessions.Detector("retinaface_mnet025");

        Assert.Same(detector, again); // one session per model per process
        if (File.Exists("/dev/nvidiactl"))
        {
            Assert.Equal("CUDA:0", detector.ExecutionProvider);
        }
        else
        {
            Assert.Equal("CPU", detector.ExecutionProvider);
            Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("falling back to the CPU provider", StringComparison.Ordinal));
        }

        // Whatever the provider, the slice still detects faces.
        using var decoded = ImageDecoder.Decode(TestPaths.Photo("couple.jpg"), ImageLimits.Default);
        Assert.Equal(2, detector.Detect([decoded.Bgr], detector.DefaultScoreThreshold)[0].Count);
    }

    [Fact]
    public void A_cuda_slice_that_requires_the_gpu_fails_to_load_without_one_and_says_what_cuda_needs()
    {
        var logger = new RecordingLogger<OnnxSessionFactory>();
        var options = new InferenceOptions { Device = "cuda:0", RequireGpu = true };
        using var sessions = new OnnxSessionFactory(ModelCatalog.Open(TestPaths.ModelsDirectory), options, logger);

        if (File.Exists("/dev/nvidiactl"))
        {
            Assert.Equal("CUDA:0", sessions.Detector("retinaface_mnet025").ExecutionProvider);
            return;
        }

        var error = Assert.Throws<ModelUnavailableException>(() => sessions.Detector("retinaface_mnet025"));
        Assert.Equal("retinaface_mnet025", error.ModelName);
        Assert.Contains("RequireGpu=true", error.Message, StringComparison.Ordinal);
        Assert.Contains("libcudart.so.13", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("falling back", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_loaded_model_logs_the_provider_it_got_and_the_device_asked_for()
    {
        var logger = new RecordingLogger<OnnxSessionFactory>();
        using var sessions = new OnnxSessionFactory(ModelCatalog.Open(TestPaths.ModelsDirectory), new InferenceOptions(), logger);

        sessions.Detector("retinaface_mnet025");
        sessions.Recognizer("face_embed_512d");

        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("retinaface_mnet025", StringComparison.Ordinal)
            && e.Message.Contains("on execution provider CPU (device asked for: cpu)", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Message.Contains("face_embed_512d", StringComparison.Ordinal)
            && e.Message.Contains("on execution provider CPU", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Models_on_the_shared_cpu_arena_give_the_answers_of_their_own_arenas()
    {
        var photo = TestPaths.Photo("couple.jpg");
        var own = await EmbedAsync(new InferenceOptions { ShareCpuArena = false }, photo);

        var shared = await EmbedAsync(new InferenceOptions { ShareCpuArena = true }, photo);

        Assert.Equal(2, shared.Count);
        Assert.Equal(own.Select(f => f.Face.Box), shared.Select(f => f.Face.Box));
        for (var i = 0; i < shared.Count; i++)
        {
            Assert.Equal(1.0, FaceRecognizer.Similarity(own[i].Embedding, shared[i].Embedding), 5);
        }
    }

    private static async Task<IReadOnlyList<EmbeddedFace>> EmbedAsync(InferenceOptions options, byte[] photo)
    {
        using var sessions = new OnnxSessionFactory(ModelCatalog.Open(TestPaths.ModelsDirectory), options);
        var pipeline = FacePipeline.Create(sessions);
        return (await pipeline.EmbedAsync([photo], pipeline.ModelDefaults))[0];
    }

    private sealed class RecordingLogger<T> : ILogger<T>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
