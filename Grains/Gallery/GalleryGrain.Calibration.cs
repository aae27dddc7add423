using System.Globalization;
using FaceOrleans.Vision;

namespace FaceOrleans.Grains.Gallery;

/// <summary>Self-calibration: the tenant's enrolled faces, read back from the store, as labelled pairs.</summary>
public sealed partial class GalleryGrain
{
    public async Task<GalleryCalibrationResult> Calibrate(double far, CancellationToken cancellationToken = default)
    {
        if (!(far > 0 && far < 1))
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "far", "far must be between 0 and 1 (exclusive)");
        }

        var thresholds = await TenantGrain.GetThresholds();
        // Thresholds are the tenant's recognizer's: faces of another one would calibrate them on a foreign embedding space.
        var recognizer = await TenantGrain.GetRecognizer();
        var subjects = (await store.ListSubjectsAsync(Tenant, 0, 1)).Total;
        var limits = options.Value;
        // The float32 embeddings as stored (not a shard's in-memory index, which may hold another form of them).
        var sample = new GallerySample(limits.CalibrationMaxFaces);
        // Every shard of the layout, both counts while a re-shard moves faces: each face is stored in exactly one.
        foreach (var shard in _layout.AllShards)
        {
            await foreach (var face in store.LoadShardAsync(Tenant, shard, cancellationToken))
            {
                sample.Add(face.Model == recognizer
                    ? new LabelledEmbedding(face.FaceId, face.SubjectId, face.Embedding)
                    : throw ModelMismatch.Between(Tenant, face.Model, recognizer));
            }
        }

        // Seconds of arithmetic on a large gallery: off the grain's scheduler.
        var report = await Task.Run(
            () => GalleryCalibration.Evaluate(sample.Faces(), far, [thresholds.Similarity, thresholds.Identification], limits.CalibrationMaxPairs),
            cancellationToken);
        return ToResult(report, thresholds.Recognizer, subjects, sample, limits);
    }

    private static GalleryCalibrationResult ToResult(
        GalleryCalibrationReport report, string recognizer, long subjects, GallerySample sample, GalleryOptions limits)
    {
        var c = CultureInfo.InvariantCulture;
        var notes = new List<string>();
        if (sample.Truncated)
        {
            notes.Add(string.Create(c, $"{report.Faces} of {sample.FacesRead} faces used: whole subjects chosen by a hash of their id, at most {limits.CalibrationMaxFaces}"));
        }

        if (report.Sampled)
        {
            notes.Add(string.Create(c, $"at most {limits.CalibrationMaxPairs} genuine and {limits.CalibrationMaxPairs} impostor pairs scored, drawn at random with a fixed seed"));
        }

        var current = report.AtThresholds;
        return new GalleryCalibrationResult(
            recognizer,
            subjects,
            report.Subjects,
            report.SubjectsWithSeveralFaces,
            sample.FacesRead,
            report.Faces,
            report.GenuinePairsTotal,
            report.ImpostorPairsTotal,
            notes.Count == 0 ? null : string.Join("; ", notes) + ".",
            Summary(report.Genuine),
            Summary(report.Impostor),
            double.IsNaN(report.RocAuc) ? null : report.RocAuc,
            report.Far,
            Rates(report.AtFar),
            Rates(report.BestAccuracy),
            current.Count > 0 ? Rates(current[0]) : null,
            current.Count > 1 ? Rates(current[1]) : null,
            report.Warnings);
    }

    private static ScoreSummaryInfo? Summary(ScoreSummary s) =>
        s.Count == 0 ? null : new ScoreSummaryInfo(s.Count, s.Mean, s.StandardDeviation, s.Min, s.P05, s.Median, s.P95, s.Max);

    private static ThresholdRatesInfo? Rates(ThresholdRates? r) =>
        r is null ? null : new ThresholdRatesInfo(r.Threshold, r.FalseAcceptRate, r.FalseRejectRate, r.Accuracy);
}
