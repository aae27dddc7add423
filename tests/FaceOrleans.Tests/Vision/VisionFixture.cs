using System.Collections.Concurrent;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

/// <summary>One set of real ONNX Runtime sessions shared by every vision test, as a process shares them in production.</summary>
public sealed class VisionFixture : IDisposable
{
    private readonly ConcurrentDictionary<string, FacePipeline> _pipelines = new(StringComparer.Ordinal);

    public VisionFixture()
    {
        // Fails with the provisioning command in the message when a model is missing or corrupt.
        Sessions = new OnnxSessionFactory(ModelCatalog.Open(TestPaths.ModelsDirectory), new InferenceOptions());
        Pipeline = PipelineWith(Sessions.Catalog.Manifest.Defaults.Recognizer);
    }

    public OnnxSessionFactory Sessions { get; }

    public FacePipeline Pipeline { get; }

    /// <summary>The default pipeline's model defaults: what the tests run with unless they say otherwise.</summary>
    public FaceOptions Defaults => Pipeline.ModelDefaults;

    /// <summary>Every face the default detector finds in one decoded image at its default threshold.</summary>
    public IReadOnlyList<DetectedFace> Faces(OpenCvSharp.Mat image) =>
        Pipeline.Detector.Detect([image], Pipeline.Detector.DefaultScoreThreshold)[0];

    public FacePipeline PipelineWith(string recognizer) =>
        _pipelines.GetOrAdd(recognizer, name => FacePipeline.Create(Sessions, recognizer: name));

    public void Dispose() => Sessions.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SharedVisionModels : ICollectionFixture<VisionFixture>
{
    public const string Name = "vision";
}
