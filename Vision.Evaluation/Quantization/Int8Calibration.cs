namespace FaceOrleans.Vision.Evaluation;

/// <summary>
/// Calibrates a detector and a recognizer for int8 on a folder of photos through the real pipeline: each photo is
/// detected at full size (as /detect does) and embedded by its most prominent face first (as compare does), and every
/// image and aligned face those calls feed the fp32 models is observed by an <see cref="ActivationCalibrator"/>.
/// </summary>
public static class Int8Calibration
{
    public static async Task<(ActivationRanges Detector, ActivationRanges Recognizer)> CalibrateAsync(
        OnnxSessionFactory sessions, string detector, string recognizer, string photosDirectory, CancellationToken cancellationToken = default)
    {
        var catalog = sessions.Catalog;
        var (detectorSpec, recognizerSpec) = (catalog.Get(detector), catalog.Get(recognizer));
        using var detectorRanges = new ActivationCalibrator(detectorSpec, catalog.VerifiedPathOf(detectorSpec));
        using var recognizerRanges = new ActivationCalibrator(recognizerSpec, catalog.VerifiedPathOf(recognizerSpec));
        var pipeline = FacePipeline.Create(sessions, detector, recognizer, new RecordingModelRunner(detectorRanges.Observe, recognizerRanges.Observe));
        var photos = Photos(photosDirectory);
        foreach (var photo in photos)
        {
            byte[][] image = [await File.ReadAllBytesAsync(photo, cancellationToken)];
            await pipeline.DetectAsync(image, pipeline.ModelDefaults, cancellationToken);
            await pipeline.EmbedAsync(image, pipeline.ModelDefaults, prominentFaceFirst: true, cancellationToken);
        }

        var described = $"{photos.Length} photos of {Path.GetFileName(Path.GetFullPath(photosDirectory).TrimEnd(Path.DirectorySeparatorChar))}/";
        return (detectorRanges.Ranges(described), recognizerRanges.Ranges(described));
    }

    /// <summary>The JPEG and PNG files of a folder, in ordinal order, so a calibration is repeatable.</summary>
    public static string[] Photos(string directory) =>
        Directory.EnumerateFiles(directory)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png")
            .Order(StringComparer.Ordinal)
            .ToArray();
}
