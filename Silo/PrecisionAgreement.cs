using System.Globalization;
using System.Text;
using FaceOrleans.Vision;

namespace FaceOrleans.Silo;

/// <summary>
/// Whether an int8 pipeline answers as its fp32 pipeline does, by the three criteria a CPU slice's default precision
/// rests on (docs/int8.md): every photo's faces found again by the int8 detector (IoU ≥ <see cref="MinIou"/>), the int8
/// recognizer's embedding of each of fp32's aligned faces at cosine ≥ <see cref="MinCosine"/> to fp32's, and every
/// labelled pair decided the same, end to end, at the default threshold.
/// </summary>
public sealed record PrecisionAgreementReport(
    string Reference, string Quantized, float Threshold, IReadOnlyList<PhotoAgreement> PerPhoto,
    int Pairs, IReadOnlyList<string> PairsDecidedDifferently, int Fp32Correct, int Int8Correct, double WorstPairSimilarityChange)
{
    public const double MinIou = 0.9;
    public const double MinCosine = 0.99;

    public double LowestIou => PerPhoto.Min(p => p.MinIou);

    public double LowestCosine => PerPhoto.Min(p => p.MinCosine);

    /// <summary>Photos where int8 found a different number of faces, or one under <see cref="MinIou"/>.</summary>
    public IReadOnlyList<string> PhotosWithOtherFaces => PerPhoto.Where(p => p.ReferenceFaces != p.DeviceFaces || p.MinIou < MinIou).Select(p => p.Photo).ToArray();

    public IReadOnlyList<string> PhotosUnderMinCosine => PerPhoto.Where(p => p.MinCosine < MinCosine).Select(p => p.Photo).ToArray();

    public bool HoldsAccuracy => PhotosWithOtherFaces.Count == 0 && PhotosUnderMinCosine.Count == 0 && PairsDecidedDifferently.Count == 0;

    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{Quantized} against {Reference}, {PerPhoto.Count} photos, {Pairs} pairs at threshold {Threshold}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"photo",-36} {"faces fp32",10} {"faces int8",10} {"min IoU",8} {"min cosine",11}");
        foreach (var p in PerPhoto)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{p.Photo,-36} {p.ReferenceFaces,10} {p.DeviceFaces,10} {p.MinIou,8:0.0000} {p.MinCosine,11:0.000000}");
        }

        text.AppendLine(CultureInfo.InvariantCulture,
            $"detection: lowest IoU {LowestIou:0.0000} (need {MinIou}), photos with other faces: {Listed(PhotosWithOtherFaces)}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"embedding: lowest cosine {LowestCosine:0.000000} (need {MinCosine}), photos under it: {Listed(PhotosUnderMinCosine)}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"pairs: fp32 {Fp32Correct}/{Pairs} right, int8 {Int8Correct}/{Pairs}; decided differently: {Listed(PairsDecidedDifferently)}; " +
            $"largest similarity change {WorstPairSimilarityChange:0.0000}");
        text.Append(HoldsAccuracy ? "int8 HOLDS fp32's accuracy" : "int8 DOES NOT hold fp32's accuracy");
        return text.ToString();
    }

    private static string Listed(IReadOnlyList<string> items) => items.Count == 0 ? "none" : string.Join(", ", items);
}

/// <summary>Runs the fp32 and the int8 pipeline over the same photos and pairs and measures where they part.</summary>
public static class PrecisionAgreement
{
    public static async Task<PrecisionAgreementReport> MeasureAsync(
        FacePipeline fp32, FacePipeline quantized, IReadOnlyList<string> photos, IReadOnlyList<LabelledPair> pairs, string imagesDirectory,
        CancellationToken cancellationToken = default)
    {
        var perPhoto = new List<PhotoAgreement>();
        foreach (var photo in photos)
        {
            perPhoto.Add(await ComparePhotoAsync(fp32, quantized, photo, cancellationToken));
        }

        // Both at fp32's default threshold: the decision a tenant gets must not depend on the precision.
        var threshold = fp32.Recognizer.DefaultThreshold;
        var options = fp32.ModelDefaults;
        var (reference, _) = await PairScorer.ScoreAsync(fp32, pairs, imagesDirectory, options);
        var (int8Scores, _) = await PairScorer.ScoreAsync(quantized, pairs, imagesDirectory, options);
        var differing = new List<string>();
        double worstChange = 0;
        int fp32Correct = 0, int8Correct = 0;
        for (var i = 0; i < reference.Count; i++)
        {
            var (a, b) = (reference[i].Similarity, int8Scores[i].Similarity);
            bool? sameA = a >= threshold, sameB = b >= threshold;
            fp32Correct += a is not null && sameA == reference[i].Pair.SamePerson ? 1 : 0;
            int8Correct += b is not null && sameB == reference[i].Pair.SamePerson ? 1 : 0;
            if ((a is null) != (b is null) || sameA != sameB)
            {
                differing.Add($"{reference[i].Pair.ImageA}/{reference[i].Pair.ImageB}");
            }

            if (a is not null && b is not null)
            {
                worstChange = Math.Max(worstChange, Math.Abs(a.Value - b.Value));
            }
        }

        return new PrecisionAgreementReport(
            $"{fp32.Detector.ModelName} + {fp32.Recognizer.ModelName}", $"{quantized.Detector.ModelName} + {quantized.Recognizer.ModelName}", threshold,
            perPhoto, reference.Count, differing, fp32Correct, int8Correct, worstChange);
    }

    /// <summary>
    /// Each model against its own fp32 original, so neither criterion is charged with the other's error: the faces each
    /// detector finds on the decoded photo (IoU), and fp32's faces aligned once and embedded by each recognizer (cosine).
    /// </summary>
    private static async Task<PhotoAgreement> ComparePhotoAsync(FacePipeline fp32, FacePipeline quantized, string photo, CancellationToken cancellationToken)
    {
        using var decoded = ImageDecoder.Decode(await File.ReadAllBytesAsync(photo, cancellationToken), ImageLimits.Default);
        var expected = fp32.Detector.Detect([decoded.Bgr], fp32.Detector.DefaultScoreThreshold)[0];
        var found = quantized.Detector.Detect([decoded.Bgr], quantized.Detector.DefaultScoreThreshold)[0];
        // Only the boxes are compared here (the embeddings are left empty); cosine comes from the recognizers below.
        var detection = ProviderAgreement.Compare(
            Path.GetFileName(photo), expected.Select(f => new EmbeddedFace(f, [])).ToArray(), found.Select(f => new EmbeddedFace(f, [])).ToArray(), PrecisionAgreementReport.MinIou, 0);

        var faces = expected.Select(f => (decoded.Bgr, f)).ToArray();
        var (a, b) = (await fp32.EmbedFacesAsync(faces, cancellationToken), await quantized.EmbedFacesAsync(faces, cancellationToken));
        var cosine = a.Length == 0 ? 1 : a.Zip(b, (x, y) => (double)FaceRecognizer.Similarity(x, y)).Min();
        return detection with { MinCosine = cosine, Passed = detection.Passed && cosine >= PrecisionAgreementReport.MinCosine };
    }
}
