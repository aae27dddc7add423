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
/// <param name="ProminentFaceFirst">
/// Detect at the pipeline's <see cref="DetectionSides.ProminentFace"/> side first and at full size only for an image
/// where that finds no face: for callers that live by the most prominent face (enroll, identify, verify), which may
/// then miss faces far smaller than it. <see cref="FacePipeline.CompareAsync"/> always works this way.
/// </param>
public sealed record FaceOptions(
    float? SimilarityThreshold = null, float? DetectionThreshold = null, ImageLimits? Limits = null, bool ProminentFaceFirst = false);

/// <summary>Long sides, in pixels, the detector runs at; null takes the detector's manifest entry.</summary>
/// <param name="Full">For /detect and /embed, and the fallback when the prominent-face side finds nothing (default: the model's input size).</param>
/// <param name="ProminentFace">The first try for requests that need only the most prominent face (default: the manifest's <c>prominent_face_side</c>).</param>
public sealed record DetectionSides(int? Full = null, int? ProminentFace = null)
{
    /// <summary>Both sides for this detector; a fixed-input detector always runs at its own size.</summary>
    public (int Full, int ProminentFace) Resolve(RetinaFaceDetector detector)
    {
        if (!detector.HasDynamicInput)
        {
            return (detector.FullSide, detector.FullSide);
        }

        var full = Full ?? detector.FullSide;
        var prominent = ProminentFace ?? detector.ProminentFaceSide ?? full;
        if (full < detector.Stride || prominent < detector.Stride || prominent > full)
        {
            throw new ArgumentException(
                $"Detection sides must be at least {detector.Stride} px with the prominent-face side ({prominent}) at most the full side ({full}).");
        }

        return (full, prominent);
    }
}

/// <summary>
/// Decode → RetinaFace → five-point alignment → recognizer, for one or many images.
/// Decoding and warps run on the caller's thread; every model call goes through the <see cref="IModelRunner"/>,
/// which is where a slice serialises them. Holds no Orleans types so it can be tested and benchmarked alone; thread-safe.
/// </summary>
public sealed class FacePipeline
{
    private readonly IModelRunner _runner;

    public FacePipeline(
        RetinaFaceDetector detector, FaceRecognizer recognizer, ImageLimits? limits = null, IModelRunner? runner = null, DetectionSides? sides = null)
    {
        Detector = detector;
        Recognizer = recognizer;
        Limits = limits ?? ImageLimits.Default;
        _runner = runner ?? InlineModelRunner.Instance;
        (FullSide, ProminentFaceSide) = (sides ?? new DetectionSides()).Resolve(detector);
    }

    public RetinaFaceDetector Detector { get; }

    public FaceRecognizer Recognizer { get; }

    public ImageLimits Limits { get; }

    /// <summary>Long side images are detected at by default.</summary>
    public int FullSide { get; }

    /// <summary>Long side tried first when only the most prominent face matters (equal to <see cref="FullSide"/>: no first try).</summary>
    public int ProminentFaceSide { get; }

    /// <summary>Builds a pipeline from the manifest's models (its defaults unless named).</summary>
    public static FacePipeline Create(
        OnnxSessionFactory sessions, string? detector = null, string? recognizer = null, ImageLimits? limits = null, IModelRunner? runner = null,
        DetectionSides? sides = null)
    {
        var defaults = sessions.Catalog.Manifest.Defaults;
        var batch = sessions.Options.MaxBatchSize;
        return new FacePipeline(
            new RetinaFaceDetector(sessions.Get(string.IsNullOrEmpty(detector) ? defaults.Detector : detector), batch),
            new FaceRecognizer(sessions.Get(string.IsNullOrEmpty(recognizer) ? defaults.Recognizer : recognizer), batch),
            limits,
            runner,
            sides);
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
        var decoded = DecodeAll(images, LimitsFor(options));
        try
        {
            var detections = await DetectDecodedAsync(decoded, options?.DetectionThreshold, options?.ProminentFaceFirst ?? false, cancellationToken);
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
        var decoded = DecodeAll(images, LimitsFor(options));
        var detailed = new DecodedImage?[images.Count];
        try
        {
            var detections = await DetectDecodedAsync(decoded, options?.DetectionThreshold, options?.ProminentFaceFirst ?? false, cancellationToken);
            var targets = new List<(int Image, DetectedFace Face)>();
            for (var i = 0; i < detections.Count; i++)
            {
                targets.AddRange(detections[i].Select(face => (i, face)));
                if (detections[i].Any(face => NeedsDetail(decoded[i], face)))
                {
                    detailed[i] = Decode(images[i], NameOf(i, images.Count), (options?.Limits ?? Limits).FullDetail);
                }
            }

            var embeddings = await EmbedFacesAsync(targets.Select(t => AlignmentSource(decoded[t.Image], detailed[t.Image], t.Face)).ToArray(), cancellationToken);
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
            DisposeAll(detailed);
        }
    }

    /// <summary>
    /// Compares the most prominent face of each image (see <see cref="DetectedFace.MostProminent"/>), detected at
    /// <see cref="ProminentFaceSide"/> first (see <see cref="FaceOptions.ProminentFaceFirst"/>).
    /// A missing face is an answer, not an error: the result says which image had none.
    /// </summary>
    public async Task<FaceComparison> CompareAsync(byte[] image1, byte[] image2, FaceOptions? options = null, CancellationToken cancellationToken = default)
    {
        var threshold = options?.SimilarityThreshold ?? Recognizer.DefaultThreshold;
        var limits = LimitsFor(options, prominentFaceFirst: true);
        using var first = Decode(image1, "image1", limits);
        using var second = Decode(image2, "image2", limits);
        var detections = await DetectDecodedAsync([first, second], options?.DetectionThreshold, prominentFaceFirst: true, cancellationToken);
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

        using var detailed1 = NeedsDetail(first, chosen1) ? Decode(image1, "image1", limits.FullDetail) : null;
        using var detailed2 = NeedsDetail(second, chosen2) ? Decode(image2, "image2", limits.FullDetail) : null;
        var embeddings = await EmbedFacesAsync(
            [AlignmentSource(first, detailed1, chosen1), AlignmentSource(second, detailed2, chosen2)], cancellationToken);
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

    /// <summary>
    /// A face smaller than the recognizer's input, found on an image that a reduced JPEG decode left short of detail,
    /// is aligned on a full-detail decode of the same upload: most faces are large and never pay for a second decode.
    /// </summary>
    private bool NeedsDetail(DecodedImage image, DetectedFace face) =>
        image.LostDetail && Math.Min(face.Box.Width, face.Box.Height) < Math.Max(Recognizer.InputWidth, Recognizer.InputHeight);

    /// <summary>The image to align a face on, with the face in that image's coordinates.</summary>
    private static (Mat Image, DetectedFace Face) AlignmentSource(DecodedImage image, DecodedImage? detailed, DetectedFace face) =>
        detailed is null ? (image.Bgr, face) : (detailed.Bgr, face.Scale(image.ScaleToOriginal / detailed.ScaleToOriginal));

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

    /// <summary>
    /// Detections in working-image coordinates, one model call per input size in the batch; with
    /// <paramref name="prominentFaceFirst"/>, at the prominent-face side first and again at full size, in one more
    /// call, for the images where that found nothing.
    /// </summary>
    private async Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> DetectDecodedAsync(
        IReadOnlyList<DecodedImage> decoded, float? scoreThreshold, bool prominentFaceFirst, CancellationToken cancellationToken)
    {
        var mats = decoded.Select(d => d.Bgr).ToArray();
        if (!prominentFaceFirst || ProminentFaceSide >= FullSide)
        {
            return await _runner.RunAsync(() => Detector.Detect(mats, scoreThreshold, FullSide), cancellationToken);
        }

        var detections = (await _runner.RunAsync(() => Detector.Detect(mats, scoreThreshold, ProminentFaceSide), cancellationToken)).ToArray();
        var missed = Enumerable.Range(0, mats.Length).Where(i => detections[i].Count == 0).ToArray();
        if (missed.Length > 0)
        {
            var retried = await _runner.RunAsync(() => Detector.Detect(missed.Select(i => mats[i]).ToArray(), scoreThreshold, FullSide), cancellationToken);
            for (var k = 0; k < missed.Length; k++)
            {
                detections[missed[k]] = retried[k];
            }
        }

        return detections;
    }

    /// <summary>
    /// Only requests that need the most prominent face let a large JPEG be decoded down to
    /// <see cref="ImageLimits.MinWorkingSide"/>; the others keep the full working detail, as detection at full size does.
    /// </summary>
    private ImageLimits LimitsFor(FaceOptions? options, bool prominentFaceFirst = false)
    {
        var limits = options?.Limits ?? Limits;
        return prominentFaceFirst || options?.ProminentFaceFirst == true ? limits : limits.FullDetail;
    }

    private static string NameOf(int index, int count) => count == 1 ? "image" : $"image {index + 1}";

    private DecodedImage[] DecodeAll(IReadOnlyList<byte[]> images, ImageLimits limits)
    {
        var decoded = new DecodedImage[images.Count];
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                decoded[i] = Decode(images[i], NameOf(i, images.Count), limits);
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
