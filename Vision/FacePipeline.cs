using System.Globalization;
using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// Decode → detector (<see cref="IFaceDetector"/>; RetinaFace today) → five-point alignment → recognizer, for one or many images.
/// Decoding and warps run on the caller's thread; every model call goes through the <see cref="IModelRunner"/>,
/// which is where a slice serialises them. Its project references no Orleans package, so it is tested and benchmarked
/// alone; thread-safe. The networks belong to whoever built them (usually an <see cref="OnnxSessionFactory"/>).
/// </summary>
public sealed partial class FacePipeline
{
    private readonly IModelRunner _runner;

    public FacePipeline(IFaceDetector detector, FaceRecognizer recognizer, IModelRunner runner, DetectionSides? sides = null)
    {
        Detector = detector;
        Recognizer = recognizer;
        _runner = runner;
        (FullSide, ProminentFaceSide) = (sides ?? new DetectionSides()).Resolve(detector);
    }

    private FacePipeline(FacePipeline pipeline, IModelRunner runner)
    {
        (Detector, Recognizer, FullSide, ProminentFaceSide) = (pipeline.Detector, pipeline.Recognizer, pipeline.FullSide, pipeline.ProminentFaceSide);
        _runner = runner;
    }

    /// <summary>The same networks and sizes with model calls sent to another runner (a slice's scheduler on behalf of one tenant).</summary>
    public FacePipeline WithRunner(IModelRunner runner) => new(this, runner);

    public IFaceDetector Detector { get; }

    public FaceRecognizer Recognizer { get; }

    /// <summary>The models' own thresholds and the service's image limits: what a request runs with when nothing overrides them.</summary>
    public FaceOptions ModelDefaults => new(
        Recognizer.DefaultThreshold, Detector.DefaultScoreThreshold, ImageLimits.Default, Recognizer.DefaultIdentificationThreshold,
        QualityLimits.Default, DetectionMode.Fast);

    /// <summary>Long side images are detected at by default.</summary>
    public int FullSide { get; }

    /// <summary>Long side tried first when only the most prominent face matters (equal to <see cref="FullSide"/>: no first try).</summary>
    public int ProminentFaceSide { get; }

    /// <summary>
    /// A pipeline over the factory's networks (the manifest's defaults unless named). Without a runner, model calls
    /// run on the caller's thread; without sides, the detector's manifest entry decides them.
    /// </summary>
    public static FacePipeline Create(
        OnnxSessionFactory sessions, string? detector = null, string? recognizer = null, IModelRunner? runner = null, DetectionSides? sides = null)
    {
        var defaults = sessions.Catalog.Manifest.Defaults;
        return new FacePipeline(
            sessions.Detector(string.IsNullOrEmpty(detector) ? defaults.Detector : detector),
            sessions.Recognizer(string.IsNullOrEmpty(recognizer) ? defaults.Recognizer : recognizer),
            runner ?? InlineModelRunner.Instance,
            sides);
    }

    /// <summary>
    /// Every face in every image with its <see cref="FaceQuality"/>, detected at full size and detail in one batched model call per input size; any image
    /// that cannot be decoded refuses the call.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> DetectAsync(
        IReadOnlyList<byte[]> images, FaceOptions options, CancellationToken cancellationToken = default) =>
        ValuesOf(await ForEachImageAsync(images, DefaultNames(images.Count), options, prominentFaceFirst: false, refuseAll: true, MeasureDetections, cancellationToken));

    /// <summary>Every face in every image with its embedding and <see cref="FaceQuality"/>; detection and embedding each run batched.</summary>
    public Task<IReadOnlyList<IReadOnlyList<EmbeddedFace>>> EmbedAsync(
        IReadOnlyList<byte[]> images, FaceOptions options, CancellationToken cancellationToken = default) =>
        EmbedAsync(images, options, prominentFaceFirst: false, cancellationToken);

    /// <summary>
    /// Every face in every image with its embedding. With <paramref name="prominentFaceFirst"/>, for callers that live
    /// by the most prominent face (enroll, identify, verify), a large JPEG may be decoded reduced and detection runs at
    /// <see cref="ProminentFaceSide"/> first and at full size only for an image where that finds no face, so faces far
    /// smaller than the most prominent one may be missed. <see cref="CompareAsync"/> always works this way.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<EmbeddedFace>>> EmbedAsync(
        IReadOnlyList<byte[]> images, FaceOptions options, bool prominentFaceFirst, CancellationToken cancellationToken = default) =>
        ValuesOf(await ForEachImageAsync(images, DefaultNames(images.Count), options, prominentFaceFirst, refuseAll: true, EmbedDetectedAsync, cancellationToken));

    /// <summary>
    /// Every face in each image, each image on its own: one that cannot be decoded is refused alone (its rejection
    /// names it by <paramref name="names"/>), and the others are detected together in batched model calls.
    /// </summary>
    public Task<IReadOnlyList<ImageResult<IReadOnlyList<DetectedFace>>>> DetectEachAsync(
        IReadOnlyList<byte[]> images, IReadOnlyList<string> names, FaceOptions options, CancellationToken cancellationToken = default) =>
        ForEachImageAsync(images, names, options, prominentFaceFirst: false, refuseAll: false, MeasureDetections, cancellationToken);

    /// <summary>
    /// As <see cref="DetectEachAsync"/>, with every face's embedding: the images that decode are detected together
    /// and all their faces embedded in one more batched call.
    /// </summary>
    public Task<IReadOnlyList<ImageResult<IReadOnlyList<EmbeddedFace>>>> EmbedEachAsync(
        IReadOnlyList<byte[]> images, IReadOnlyList<string> names, FaceOptions options, CancellationToken cancellationToken = default) =>
        ForEachImageAsync(images, names, options, prominentFaceFirst: false, refuseAll: false, EmbedDetectedAsync, cancellationToken);

    /// <summary>Detections in each uploaded image's own pixels, each with its <see cref="FaceQuality"/>.</summary>
    private static Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> MeasureDetections(
        Upload[] uploads, IReadOnlyList<IReadOnlyList<DetectedFace>> detections, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<IReadOnlyList<DetectedFace>>>(detections
            .Select((faces, i) => (IReadOnlyList<DetectedFace>)faces.Select(f => Measured(uploads[i].Image, f, SharpnessOf(uploads[i].Image.Bgr, f))).ToArray())
            .ToArray());

    /// <summary>
    /// Embeds every detected face of every image in one batched recognizer call; a small face on a reduced decode is
    /// aligned on a full-detail one.
    /// </summary>
    private async Task<IReadOnlyList<IReadOnlyList<EmbeddedFace>>> EmbedDetectedAsync(
        Upload[] uploads, IReadOnlyList<IReadOnlyList<DetectedFace>> detections, CancellationToken cancellationToken)
    {
        var detailed = new DecodedImage?[uploads.Length];
        try
        {
            var targets = new List<(int Image, DetectedFace Face)>();
            for (var i = 0; i < detections.Count; i++)
            {
                targets.AddRange(detections[i].Select(face => (i, face)));
                if (detections[i].Any(face => NeedsDetail(uploads[i].Image, face)))
                {
                    detailed[i] = UploadDecoder.Decode(uploads[i].Data, uploads[i].Name, uploads[i].Limits.FullDetail);
                }
            }

            var (embeddings, sharpness) = await AlignAndEmbedAsync(
                targets.Select(t => AlignmentSource(uploads[t.Image].Image, detailed[t.Image], t.Face)).ToArray(), cancellationToken);
            var results = uploads.Select(_ => new List<EmbeddedFace>()).ToArray();
            for (var k = 0; k < targets.Count; k++)
            {
                var (image, face) = targets[k];
                results[image].Add(new EmbeddedFace(Measured(uploads[image].Image, face, sharpness[k]), embeddings[k]));
            }

            return results;
        }
        finally
        {
            Disposables.DisposeAll(detailed);
        }
    }

    /// <summary>
    /// Compares the most prominent face of each image (see <see cref="DetectedFace.MostProminent"/>), detected at
    /// <see cref="ProminentFaceSide"/> first and always in <see cref="DetectionMode.Fast"/>: the largest face is never
    /// one only tiles find. A missing face is an answer, not an error: the result says which image had none.
    /// </summary>
    public async Task<FaceComparison> CompareAsync(byte[] image1, byte[] image2, FaceOptions options, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var threshold = options.SimilarityThreshold;
        var limits = LimitsFor(options, prominentFaceFirst: true);
        var both = UploadDecoder.DecodeEach([image1, image2], ["image1", "image2"], limits);
        using var first = both[0].Value!;
        using var second = both[1].Value!;
        if (UploadDecoder.FirstRejection(both) is { } rejection)
        {
            throw rejection;
        }

        var detections = await DetectDecodedAsync([first, second], options.DetectionThreshold, DetectionMode.Fast, prominentFaceFirst: true, cancellationToken);
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

        using var detailed1 = NeedsDetail(first, chosen1) ? UploadDecoder.Decode(image1, "image1", limits.FullDetail) : null;
        using var detailed2 = NeedsDetail(second, chosen2) ? UploadDecoder.Decode(image2, "image2", limits.FullDetail) : null;
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
    public async Task<float[][]> EmbedFacesAsync(IReadOnlyList<(Mat Image, DetectedFace Face)> faces, CancellationToken cancellationToken = default) =>
        (await AlignAndEmbedAsync(faces, cancellationToken)).Embeddings;

    /// <summary>The embeddings, and each face's sharpness measured on the same aligned crop when it has the template's size.</summary>
    private async Task<(float[][] Embeddings, float[] Sharpness)> AlignAndEmbedAsync(
        IReadOnlyList<(Mat Image, DetectedFace Face)> faces, CancellationToken cancellationToken)
    {
        if (faces.Count == 0)
        {
            return ([], []);
        }

        var crops = new Mat[faces.Count];
        var sharpness = new float[faces.Count];
        PreparedInput[] inputs = [];
        try
        {
            for (var i = 0; i < faces.Count; i++)
            {
                crops[i] = FaceAligner.Align(faces[i].Image, faces[i].Face.Landmarks, Recognizer.InputWidth, Recognizer.InputHeight);
                sharpness[i] = crops[i].Width == FaceAligner.TemplateSize && crops[i].Height == FaceAligner.TemplateSize
                    ? FaceQuality.SharpnessOf(crops[i])
                    : SharpnessOf(faces[i].Image, faces[i].Face);
            }

            inputs = crops.Select(Recognizer.Prepare).ToArray();
            return (await _runner.RunAsync(Recognizer, inputs, cancellationToken), sharpness);
        }
        finally
        {
            Disposables.DisposeAll(inputs);
            Disposables.DisposeAll(crops);
        }
    }

    /// <summary>A face found in a working image, in the uploaded image's pixels, with its quality measured.</summary>
    private static DetectedFace Measured(DecodedImage image, DetectedFace workingFace, float sharpness)
    {
        var face = workingFace.Scale(image.ScaleToOriginal);
        return face with { Quality = FaceQuality.Measure(face.Landmarks, sharpness) };
    }

    private static float SharpnessOf(Mat image, DetectedFace face)
    {
        using var crop = FaceAligner.Align(image, face.Landmarks);
        return FaceQuality.SharpnessOf(crop);
    }

    /// <summary>
    /// Only requests that need the most prominent face let a large JPEG be decoded down to
    /// <see cref="ImageLimits.MinWorkingSide"/>; the others keep the full working detail, as detection at full size does.
    /// </summary>
    private static ImageLimits LimitsFor(FaceOptions options, bool prominentFaceFirst) =>
        prominentFaceFirst ? options.Limits : options.Limits.FullDetail;

    /// <summary>
    /// Decodes each image, detects faces in all that decoded in batched calls, hands those to <paramref name="then"/>,
    /// and frees the pixels. A rejected image refuses the whole call when <paramref name="refuseAll"/> (before any
    /// model runs), else only itself.
    /// </summary>
    private async Task<IReadOnlyList<ImageResult<T>>> ForEachImageAsync<T>(
        IReadOnlyList<byte[]> images, IReadOnlyList<string> names, FaceOptions options, bool prominentFaceFirst, bool refuseAll,
        Func<Upload[], IReadOnlyList<IReadOnlyList<DetectedFace>>, CancellationToken, Task<IReadOnlyList<T>>> then,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(names.Count, images.Count, nameof(names));
        cancellationToken.ThrowIfCancellationRequested();
        // Thorough detection looks for the small faces that the prominent-face shortcuts would give up.
        prominentFaceFirst &= options.Detection == DetectionMode.Fast;
        var limits = LimitsFor(options, prominentFaceFirst);
        var decoded = new DecodedImage?[images.Count];
        var results = new ImageResult<T>[images.Count];
        try
        {
            var each = UploadDecoder.DecodeEach(images, names, limits);
            for (var i = 0; i < images.Count; i++)
            {
                decoded[i] = each[i].Value;
                if (each[i].Rejection is { } rejection)
                {
                    results[i] = new ImageResult<T>(default, rejection);
                }
            }

            if (refuseAll && UploadDecoder.FirstRejection(each) is { } first)
            {
                throw first;
            }

            var good = Enumerable.Range(0, images.Count).Where(i => decoded[i] is not null).ToArray();
            if (good.Length > 0)
            {
                var uploads = good.Select(i => new Upload(images[i], names[i], limits, decoded[i]!)).ToArray();
                var detections = await DetectDecodedAsync(
                    uploads.Select(u => u.Image).ToArray(), options.DetectionThreshold, options.Detection, prominentFaceFirst, cancellationToken);
                var values = await then(uploads, detections, cancellationToken);
                for (var k = 0; k < good.Length; k++)
                {
                    results[good[k]] = new ImageResult<T>(values[k], null);
                }
            }

            return results;
        }
        finally
        {
            Disposables.DisposeAll(decoded);
        }
    }

    private static T[] ValuesOf<T>(IReadOnlyList<ImageResult<T>> results) => results.Select(r => r.ValueOrThrow()).ToArray();

    /// <summary>How a call's images are named in rejections: "image" alone, "image 1", "image 2", … in a batch.</summary>
    private static string[] DefaultNames(int count) =>
        count == 1 ? ["image"] : Enumerable.Range(1, count).Select(i => $"image {i}").ToArray();

    /// <summary>One decoded upload with what it takes to decode it again at full detail.</summary>
    private sealed record Upload(byte[] Data, string Name, ImageLimits Limits, DecodedImage Image);
}
