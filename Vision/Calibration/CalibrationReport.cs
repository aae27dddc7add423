using System.Globalization;

namespace FaceOrleans.Vision;

/// <summary>What <see cref="Calibration.Evaluate"/> found on a list of labelled pairs.</summary>
public sealed record CalibrationReport(
    string Recognizer,
    int Pairs,
    int SamePairs,
    int DifferentPairs,
    int PairsWithoutFace,
    IReadOnlyList<string> ImagesWithoutFace,
    float Threshold,
    double AccuracyAtThreshold,
    float BestThreshold,
    double BestAccuracy,
    double RocAuc,
    double TarAtFar1e3,
    float ThresholdAtFar1e3)
{
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        return string.Join(Environment.NewLine,
            $"recognizer                 {Recognizer}",
            $"pairs                      {Pairs} ({SamePairs} same, {DifferentPairs} different)",
            $"pairs with no face found   {PairsWithoutFace}{(ImagesWithoutFace.Count > 0 ? $" ({string.Join(", ", ImagesWithoutFace)})" : string.Empty)}",
            string.Create(c, $"accuracy at threshold      {AccuracyAtThreshold:P2} (threshold {Threshold:0.000})"),
            string.Create(c, $"best threshold             {BestThreshold:0.000} (accuracy {BestAccuracy:P2})"),
            string.Create(c, $"ROC AUC                    {RocAuc:0.0000}"),
            string.Create(c, $"TAR at FAR 1e-3            {TarAtFar1e3:P2} (threshold {ThresholdAtFar1e3:0.000})"));
    }
}
