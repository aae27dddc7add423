using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// A face detector family (RetinaFace today): boxes, scores and five landmarks per face. The pipeline knows a
/// detector only through this seam, so a second family is one class implementing it and one manifest entry naming
/// its <see cref="DetectorSpec.Family"/> (chosen in <see cref="OnnxSessionFactory.Detector"/>). A family prepares
/// and decodes on the caller's thread and sends only its model call through the runner, where a slice schedules it.
/// </summary>
public interface IFaceDetector : IDisposable
{
    string ModelName { get; }

    /// <summary>The provider its session actually runs on (CPU after a CUDA fallback).</summary>
    string ExecutionProvider { get; }

    /// <summary>The manifest's score threshold: what a request detects with unless told otherwise.</summary>
    float DefaultScoreThreshold { get; }

    /// <summary>The overlap above which two boxes are one face (also merges tiles of the thorough mode).</summary>
    float NmsIouThreshold { get; }

    /// <summary>Whether the model runs at any input size (a multiple of <see cref="Stride"/>) rather than one fixed size.</summary>
    bool HasDynamicInput { get; }

    /// <summary>The largest stride: input sides are multiples of it.</summary>
    int Stride { get; }

    /// <summary>The long side images are detected at by default.</summary>
    int FullSide { get; }

    /// <summary>The manifest's long side for requests that need only the most prominent face (null: full size).</summary>
    int? ProminentFaceSide { get; }

    /// <summary>
    /// The faces scoring above <paramref name="scoreThreshold"/> in each image, scaled to <paramref name="longSide"/>,
    /// in that image's pixels; the model call goes through <paramref name="runner"/> (where other requests' images of
    /// the same size may join it).
    /// </summary>
    Task<IReadOnlyList<DetectedFace>[]> DetectAsync(
        IModelRunner runner, IReadOnlyList<Mat> images, float scoreThreshold, int longSide, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="DetectAsync"/>, with the model call on the calling thread (tools and tests).</summary>
    IReadOnlyList<IReadOnlyList<DetectedFace>> Detect(IReadOnlyList<Mat> images, float scoreThreshold, int? longSide = null);
}
