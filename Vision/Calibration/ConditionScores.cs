namespace FaceOrleans.Vision;

/// <summary>
/// Scores of one capture condition. Clean: every unordered pair of clean photos. Degraded: every ordered pair of
/// different photos, the first clean (the gallery photo, enrolled on purpose) and the second degraded (the probe a
/// working camera sends). A pair whose probe had no face scores -2, below any cosine, so it is always rejected.
/// </summary>
public sealed record ConditionScores(
    CaptureCondition Condition,
    IReadOnlyList<float> Same,
    IReadOnlyList<float> Different,
    IReadOnlyList<string> ProbesWithoutFace);
