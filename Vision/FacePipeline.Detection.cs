using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>The pipeline's detection step: at which sizes an image is detected, and tiles for the thorough mode.</summary>
public sealed partial class FacePipeline
{
    /// <summary>
    /// Detections in working-image coordinates, one model call per input size in the batch. Thorough: the whole
    /// images at full size and their tiles, in one call, merged. Otherwise, with <paramref name="prominentFaceFirst"/>,
    /// at the prominent-face side first and again at full size, in one more call, for the images where that found nothing.
    /// </summary>
    private async Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> DetectDecodedAsync(
        IReadOnlyList<DecodedImage> decoded, float scoreThreshold, DetectionMode mode, bool prominentFaceFirst, CancellationToken cancellationToken)
    {
        var mats = decoded.Select(d => d.Bgr).ToArray();
        if (mode == DetectionMode.Thorough)
        {
            return await DetectTiledAsync(mats, scoreThreshold, cancellationToken);
        }

        if (!prominentFaceFirst || ProminentFaceSide >= FullSide)
        {
            return await DetectAtAsync(mats, scoreThreshold, FullSide, cancellationToken);
        }

        var detections = (await DetectAtAsync(mats, scoreThreshold, ProminentFaceSide, cancellationToken)).ToArray();
        var missed = Enumerable.Range(0, mats.Length).Where(i => detections[i].Count == 0).ToArray();
        if (missed.Length > 0)
        {
            var retried = await DetectAtAsync(missed.Select(i => mats[i]).ToArray(), scoreThreshold, FullSide, cancellationToken);
            for (var k = 0; k < missed.Length; k++)
            {
                detections[missed[k]] = retried[k];
            }
        }

        return detections;
    }

    /// <summary>Detection at one long side, the model call through the runner; the detector family prepares and decodes.</summary>
    private Task<IReadOnlyList<DetectedFace>[]> DetectAtAsync(Mat[] mats, float scoreThreshold, int side, CancellationToken cancellationToken) =>
        Detector.DetectAsync(_runner, mats, scoreThreshold, side, cancellationToken);

    /// <summary>Each image at full size and its <see cref="TiledDetection"/> tiles in one batched call, merged per image.</summary>
    private async Task<IReadOnlyList<IReadOnlyList<DetectedFace>>> DetectTiledAsync(Mat[] mats, float scoreThreshold, CancellationToken cancellationToken)
    {
        var plans = new List<TiledDetection>(mats.Length);
        try
        {
            plans.AddRange(mats.Select(TiledDetection.Plan));
            Mat[] all = [.. mats, .. plans.SelectMany(p => p.Tiles)];
            var found = await DetectAtAsync(all, scoreThreshold, FullSide, cancellationToken);
            var next = mats.Length;
            var merged = new IReadOnlyList<DetectedFace>[mats.Length];
            for (var i = 0; i < mats.Length; i++)
            {
                merged[i] = plans[i].Merge(found[i], found.Skip(next).Take(plans[i].Tiles.Count).ToArray(), Detector.NmsIouThreshold);
                next += plans[i].Tiles.Count;
            }

            return merged;
        }
        finally
        {
            plans.ForEach(p => p.Dispose());
        }
    }
}
