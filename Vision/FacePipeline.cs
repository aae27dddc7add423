using System.Globalization;
using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// Decode → RetinaFace → five-point alignment → recognizer, for one or many images.
/// Decoding and warps run on the caller's thread; every model call goes through the <see cref="IModelRunner"/>,
/// which is where a slice serialises them. Its project references no Orleans package, so it is tested and benchmarked
/// alone; thread-safe. The networks belong to whoever built them (usually an <see cref="OnnxSessionFactory"/>).
/// </summary>
public sealed class FacePipeline
{
    private readonly IModelRunner _runner;

    public FacePipeline(RetinaFaceDetector detector, FaceRecognizer recognizer, IModelRunner runner)
    {
        Detector = detector;
        Recognizer = recognizer;
        _runner = runner;
    }

    public RetinaFaceDetector Detector { get; }

    public FaceRecognizer Recognizer { get; }

    /// <summary>The models' own thresholds and the service's image limits: what a request runs with when nothing overrides them.</summary>
    public FaceOptions ModelDefaults => new(Recognizer.DefaultThreshold, Detector.DefaultScoreThreshold, ImageLimits.Default);

    /// <summary>
    /// A pipeline over the factory's networks (the manifest's defaults unless named). Without a runner, model calls
    /// run on the caller's thread.
    /// </summary>
    public static FacePipeline Create(OnnxSessionFactory sessions, string? detector = null, string? recognizer = null, IModelRunner? runner = null)
    {
        var defaults = sessions.Catalog.Manifest.Defaults;
        return new FacePipeline(
            sessions.Detector(string.IsNullOrEmpty(detector) ? defaults.Detector : detector),
            sessions.Recognizer(string.IsNullOrEmpty(recognizer) ? defaults.Recognizer : recognizer),
            runner ?? InlineModelRunner.Instance);
    }

    /// <summary>Every face in every image, detected in one batched model call; any image that cannot be decoded refuses the call.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> DetectAsync(
        IReadOnlyList<byte[]> images, FaceOptions options, CancellationToken cancellationToken = default) =>
        ValuesOf(await ForEachImageAsync(images, DefaultNames(images.Count), options, refuseAll: true, ScaleDetections, cancellationToken));

    /// <summary>Every face in every image with its embedding; detection and embedding each run batched.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<EmbeddedFace>>> EmbedAsync(
        IReadOnlyList<byte[]> images, FaceOptions options, CancellationToken cancellationToken = default) =>
        ValuesOf(await ForEachImageAsync(images, DefaultNames(images.Count), options, refuseAll: true, EmbedDetectionsAsync, cancellationToken));

    /// <summary>
    /// Every face in each image, each image on its own: one that cannot be decoded is refused alone (its rejection
    /// names it by <paramref name="names"/>), and the others are detected together in one batched model call.
    /// </summary>
    public Task<IReadOnlyList<ImageResult<IReadOnlyList<DetectedFace>>>> DetectEachAsync(
        IReadOnlyList<byte[]> images, IReadOnlyList<string> names, FaceOptions options, CancellationToken cancellationToken = default) =>
        ForEachImageAsync(images, names, options, refuseAll: false, ScaleDetections, cancellationToken);

    /// <summary>
    /// As <see cref="DetectEachAsync"/>, with every face's embedding: the images that decode are detected in one
    /// model call and all their faces embedded in one more.
    /// </summary>
    public Task<IReadOnlyList<ImageResult<IReadOnlyList<EmbeddedFace>>>> EmbedEachAsync(
        IReadOnlyList<byte[]> images, IReadOnlyList<string> names, FaceOptions options, CancellationToken cancellationToken = default) =>
        ForEachImageAsync(images, names, options, refuseAll: false, EmbedDetectionsAsync, cancellationToken);

    /// <summary>
    /// Compares the most prominent face of each image (see <see cref="DetectedFace.MostProminent"/>).
    /// A missing face is an answer, not an error: the result says which image had none.
    /// </summary>
    public async Task<FaceComparison> CompareAsync(byte[] image1, byte[] image2, FaceOptions options, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var threshold = options.SimilarityThreshold;
        using var first = Decode(image1, "image1", options.Limits);
        using var second = Decode(image2, "image2", options.Limits);
        var detections = await DetectDecodedAsync([first, second], options.DetectionThreshold, cancellationToken);
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
        IReadOnlyList<DecodedImage> decoded, float scoreThreshold, CancellationToken cancellationToken)
    {
        var mats = decoded.Select(d => d.Bgr).ToArray();
        return _runner.RunAsync(() => Detector.Detect(mats, scoreThreshold), cancellationToken);
    }

    /// <summary>
    /// Decodes each image, detects faces in all that decoded in one batched call, hands those to
    /// <paramref name="then"/>, and frees the pixels. A rejected image refuses the whole call when
    /// <paramref name="refuseAll"/> (before any model runs), else only itself.
    /// </summary>
    private async Task<IReadOnlyList<ImageResult<T>>> ForEachImageAsync<T>(
        IReadOnlyList<byte[]> images, IReadOnlyList<string> names, FaceOptions options, bool refuseAll,
        Func<DecodedImage[], IReadOnlyList<IReadOnlyList<DetectedFace>>, CancellationToken, Task<IReadOnlyList<T>>> then,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(names.Count, images.Count, nameof(names));
        cancellationToken.ThrowIfCancellationRequested();
        var decoded = new DecodedImage?[images.Count];
        var results = new ImageResult<T>[images.Count];
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                try
                {
                    decoded[i] = Decode(images[i], names[i], options.Limits);
                }
                catch (RequestRejectedException rejection) when (!refuseAll)
                {
                    results[i] = new ImageResult<T>(default, rejection);
                }
            }

            var good = Enumerable.Range(0, images.Count).Where(i => decoded[i] is not null).ToArray();
            if (good.Length > 0)
            {
                var goodImages = good.Select(i => decoded[i]!).ToArray();
                var detections = await DetectDecodedAsync(goodImages, options.DetectionThreshold, cancellationToken);
                var values = await then(goodImages, detections, cancellationToken);
                for (var k = 0; k < good.Length; k++)
                {
                    results[good[k]] = new ImageResult<T>(values[k], null);
                }
            }

            return results;
        }
        finally
        {
            DisposeAll(decoded);
        }
    }

    /// <summary>Detections in each uploaded image's own pixels.</summary>
    private static Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> ScaleDetections(
        DecodedImage[] decoded, IReadOnlyList<IReadOnlyList<DetectedFace>> detections, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<IReadOnlyList<DetectedFace>>>(detections
            .Select((faces, i) => (IReadOnlyList<DetectedFace>)faces.Select(f => f.Scale(decoded[i].ScaleToOriginal)).ToArray())
            .ToArray());

    /// <summary>Embeds every detected face of every image in one batched recognizer call.</summary>
    private async Task<IReadOnlyList<IReadOnlyList<EmbeddedFace>>> EmbedDetectionsAsync(
        DecodedImage[] decoded, IReadOnlyList<IReadOnlyList<DetectedFace>> detections, CancellationToken cancellationToken)
    {
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

    private static T[] ValuesOf<T>(IReadOnlyList<ImageResult<T>> results) => results.Select(r => r.ValueOrThrow()).ToArray();

    /// <summary>How a call's images are named in rejections: "image" alone, "image 1", "image 2", … in a batch.</summary>
    private static string[] DefaultNames(int count) =>
        count == 1 ? ["image"] : Enumerable.Range(1, count).Select(i => $"image {i}").ToArray();

    /// <summary>Decodes an upload, naming it in any error so the caller knows which field was wrong.</summary>
    private static DecodedImage Decode(byte[] data, string name, ImageLimits limits)
    {
        try
        {
            return ImageDecoder.Decode(data, limits);
        }
        catch (RequestRejectedException ex)
        {
            throw new RequestRejectedException(ex.Code, name, $"{name}: {ex.Message}");
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
