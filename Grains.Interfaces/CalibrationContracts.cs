namespace FaceOrleans.Contracts;

/// <summary>The spread of one kind of score (cosine similarity).</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.ScoreSummaryInfo")]
public sealed record ScoreSummaryInfo(
    [property: Id(0)] int Pairs,
    [property: Id(1)] double Mean,
    [property: Id(2)] double StandardDeviation,
    [property: Id(3)] float Min,
    [property: Id(4)] float P05,
    [property: Id(5)] float Median,
    [property: Id(6)] float P95,
    [property: Id(7)] float Max);

/// <summary>What one threshold does on the gallery's pairs. Accuracy is balanced: 1 − (FAR + FRR) / 2.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.ThresholdRatesInfo")]
public sealed record ThresholdRatesInfo(
    [property: Id(0)] float Threshold,
    [property: Id(1)] double FalseAcceptRate,
    [property: Id(2)] double FalseRejectRate,
    [property: Id(3)] double Accuracy);

/// <summary>
/// A tenant's gallery as its own calibration data: genuine pairs (two faces of one subject) and impostor pairs
/// (faces of two subjects) scored from the stored embeddings, the thresholds they suggest, what the tenant's current
/// thresholds do on them, and warnings when there is too little to trust. Null parts need both kinds of pair.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.GalleryCalibrationResult")]
public sealed record GalleryCalibrationResult(
    [property: Id(0)] string Recognizer,
    [property: Id(1)] long SubjectsInGallery,
    [property: Id(2)] int SubjectsUsed,
    [property: Id(3)] int SubjectsWithSeveralFaces,
    [property: Id(4)] long FacesRead,
    [property: Id(5)] int FacesUsed,
    [property: Id(6)] long GenuinePairsTotal,
    [property: Id(7)] long ImpostorPairsTotal,
    [property: Id(8)] string? Sampling,
    [property: Id(9)] ScoreSummaryInfo? Genuine,
    [property: Id(10)] ScoreSummaryInfo? Impostor,
    [property: Id(11)] double? RocAuc,
    [property: Id(12)] double Far,
    [property: Id(13)] ThresholdRatesInfo? ThresholdAtFar,
    [property: Id(14)] ThresholdRatesInfo? BestAccuracy,
    [property: Id(15)] ThresholdRatesInfo? CurrentSimilarityThreshold,
    [property: Id(16)] ThresholdRatesInfo? CurrentIdentificationThreshold,
    [property: Id(17)] IReadOnlyList<string> Warnings);

/// <summary>Which of a tenant's thresholds a calibration sets: 1:1 (compare, verify) or 1:N (identify).</summary>
[GenerateSerializer, Alias("faceorleans.ThresholdTarget")]
public enum ThresholdTarget
{
    Similarity = 0,
    Identification = 1,
}

/// <summary>The thresholds a tenant decides with now (its settings, else its model's defaults), and that model.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.MatchThresholds")]
public sealed record MatchThresholds(
    [property: Id(0)] string Recognizer,
    [property: Id(1)] float Similarity,
    [property: Id(2)] float Identification);
