using System.Globalization;
using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>A detected face with its embedding; coordinates are in the uploaded image's pixels.</summary>
public sealed record EmbeddedFace(DetectedFace Face, float[] Embedding);

/// <summary>Result of a 1:1 comparison. <see cref="Similarity"/> is null when either image had no face.</summary>
public sealed record FaceComparison(
    float? Similarity,
    bool IsSamePerson,
    float Threshold,
    string Message,
    IReadOnlyList<DetectedFace> Faces1,
    IReadOnlyList<DetectedFace> Faces2,
    string? MissingFaceIn);

/// <summary>Per-request settings; anything left null takes the pipeline's or the model's default.</summary>
public sealed record FaceOptions(float? SimilarityThreshold = null, float? DetectionThreshold = null, ImageLimits? Limits = null);

/// <summary>
/// Decode → RetinaFace → five-point alignment → recognizer, for one or many images.
/// Decoding and warps run on the caller's thread; every model call goes through the <see cref="IModelRunner"/>,
/// which is where a slice serialises them. Holds no Orleans types so it can be tested and benchmarked alone; thread-safe.
/// </summary>
public sealed class FacePipeline
{
    private readonly IModelRunner _runner;

    public FacePipeline(RetinaFaceDetector detector, FaceRecognizer recognizer, ImageLimits? limits = null, IModelRunner? runner = null)
    {
        Detector = detector;
        Recognizer = recognizer;
        Limits = limits ?? ImageLimits.Default;
        _runner = runner ?? InlineModelRunner.Instance;
    }

    public RetinaFaceDetector Detector { get; }

    public FaceRecognizer Recognizer { get; }

    public ImageLimits Limits { get; }

    /// <summary>Builds a pipeline from the manifest's models (its defaults unless named).</summary>
    public static FacePipeline Create(
        OnnxSessionFactory sessions, string? detector = null, string? recognizer = null, ImageLimits? limits = null, IModelRunner? runner = null)
    {
        var defaults = sessions.Catalog.Manifest.Defaults;
        var batch = sessions.Options.MaxBatchSize;
        return new FacePipeline(
            new RetinaFaceDetector(sessions.Get(string.IsNullOrEmpty(detector) ? defaults.Detector : detector), batch),
            new FaceRecognizer(sessions.Get(string.IsNullOrEmpty(recognizer) ? defaults.Recognizer : recognizer), batch),
            limits,
            runner);
    }

    /// <summary>Decodes an upload, naming it in any error so the caller knows which field was wrong.</summary>
    public DecodedImage Decode(byte[] data, string name = "image", ImageLimits? limits = null)
    {
        try
        {
            return ImageDecoder.Decode(data, limits ?? Limits);
        }
        catch (FaceInputException ex)
        {
            throw new FaceInputException(ex.Error, $"{name}: {ex.Message}");
        }
    }

    /// <summary>Every face in every image, detected in one batched model call.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> DetectAsync(
        IReadOnlyList<byte[]> images, FaceOptions? options = null, CancellationToken cancellationToken = default)
    {
        var decoded = DecodeAll(images, options?.Limits);
        try
        {
            var detections = await DetectDecodedAsync(decoded, options?.DetectionThreshold, cancellationToken);
            return detections.Select((faces, i) => (IReadOnlyList<DetectedFace>)faces.Select(f => f.Scale(decoded[i].ScaleToOriginal)).ToArray()).ToArray();
        }
        finally
        {
            DisposeAll(decoded);
        }
    }

    /// <summary>Every face in every image with its embedding; detection and embedding each run batched.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<EmbeddedFace>>> EmbedAsync(
        IReadOnlyList<byte[]> images, FaceOptions? options = null, CancellationToken cancellationToken = default)
    {
        var decoded = DecodeAll(images, options?.Limits);
        try
        {
            var detections = await DetectDecodedAsync(decoded, options?.DetectionThreshold, cancellationToken);
            var targets = new List<(int Image, DetectedFace Face)>();
            for (var i = 0; i < detections.Count; i++)
            {
                targets.AddRange(detections[i].Select(face => (i, face)));
            }

            var embeddings = await EmbedFacesAsync(targets.Select(t => (decoded[t.Image].Bgr, t.Face)).ToArray(), cancellationToken);
            var results = decoded.Select(_ => new List<EmbeddedFace>()).ToArray();
            for (var k = 0; k < targets.Count; k++)
            {
                var (image, face) = targets[k];
                results[image].Add(new EmbeddedFace(face.Scale(decoded[image].ScaleToOriginal), embeddings[k]));
            }

            return results;
        }
        finally
        {
            DisposeAll(decoded);
        }
    }

    /// <summary>
    /// Compares the most prominent face of each image (see <see cref="DetectedFace.MostProminent"/>).
    /// A missing face is an answer, not an error: the result says which image had none.
    /// </summary>
    public async Task<FaceComparison> CompareAsync(byte[] image1, byte[] image2, FaceOptions? options = null, CancellationToken cancellationToken = default)
    {
        var threshold = options?.SimilarityThreshold ?? Recognizer.DefaultThreshold;
        using var first = Decode(image1, "image1", options?.Limits);
        using var second = Decode(image2, "image2", options?.Limits);
        var detections = await DetectDecodedAsync([first, second], options?.DetectionThreshold, cancellationToken);
        var faces1 = detections[0].Select(f => f.Scale(first.ScaleToOriginal)).ToArray();
        var faces2 = detections[1].Select(f => f.Scale(second.ScaleToOriginal)).ToArray();

        var chosen1 = DetectedFace.MostProminent(detections[0]);
        var chosen2 = DetectedFace.MostProminent(detections[1]);
        if (chosen1 is null || chosen2 is null)
        {
            var missing = (chosen1, chosen2) switch
            {
                (null, null) => "image1 and image2",
                (null, _) => "image1",
                _ => "image2",
            };
            return new FaceComparison(null, false, threshold, $"No face found in {missing}.", faces1, faces2, missing);
        }

        var embeddings = await EmbedFacesAsync([(first.Bgr, chosen1), (second.Bgr, chosen2)], cancellationToken);
        var similarity = FaceRecognizer.Similarity(embeddings[0], embeddings[1]);
        var same = similarity >= threshold;
        return new FaceComparison(similarity, same, threshold, DescribeComparison(similarity, threshold, faces1.Length, faces2.Length), faces1, faces2, null);
    }

    private static string DescribeComparison(float similarity, float threshold, int count1, int count2)
    {
        var verdict = similarity >= threshold
            ? string.Create(CultureInfo.InvariantCulture, $"Same person: similarity {similarity:0.000} is at or above the threshold {threshold:0.000}.")
            : string.Create(CultureInfo.InvariantCulture, $"Different people: similarity {similarity:0.000} is below the threshold {threshold:0.000}.");
        var notes = new List<string>();
        if (count1 > 1)
        {
            notes.Add($"image1 has {count1} faces");
        }

        if (count2 > 1)
        {
            notes.Add($"image2 has {count2} faces");
        }

        return notes.Count == 0 ? verdict : $"{verdict} {string.Join(" and ", notes)}; the largest face was compared.";
    }

    /// <summary>Aligns each face on its image and embeds them all in batched recognizer calls.</summary>
    public async Task<float[][]> EmbedFacesAsync(IReadOnlyList<(Mat Image, DetectedFace Face)> faces, CancellationToken cancellationToken = default)
    {
        if (faces.Count == 0)
        {
            return [];
        }

        var crops = new Mat[faces.Count];
        try
        {
            for (var i = 0; i < faces.Count; i++)
            {
                crops[i] = FaceAligner.Align(faces[i].Image, faces[i].Face.Landmarks, Recognizer.InputWidth, Recognizer.InputHeight);
            }

            return await _runner.RunAsync(() => Recognizer.Embed(crops), cancellationToken);
        }
        finally
        {
            foreach (var crop in crops)
            {
                crop?.Dispose();
            }
        }
    }

    /// <summary>Detections in working-image coordinates, one model call for the whole batch.</summary>
    private Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> DetectDecodedAsync(
        IReadOnlyList<DecodedImage> decoded, float? scoreThreshold, CancellationToken cancellationToken)
    {
        var mats = decoded.Select(d => d.Bgr).ToArray();
        return _runner.RunAsync(() => Detector.Detect(mats, scoreThreshold), cancellationToken);
    }

    private DecodedImage[] DecodeAll(IReadOnlyList<byte[]> images, ImageLimits? limits)
    {
        var decoded = new DecodedImage[images.Count];
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                decoded[i] = Decode(images[i], images.Count == 1 ? "image" : $"image {i + 1}", limits);
            }

            return decoded;
        }
        catch
        {
            DisposeAll(decoded);
            throw;
        }
    }

    private static void DisposeAll(DecodedImage?[] decoded)
    {
        foreach (var image in decoded)
        {
            image?.Dispose();
        }
    }
}
