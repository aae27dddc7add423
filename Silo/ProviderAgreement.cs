using System.Globalization;
using System.Text;
using FaceOrleans.Vision;

namespace FaceOrleans.Silo;

/// <summary>How one photo's faces on the measured device compare with the reference device's.</summary>
public sealed record PhotoAgreement(string Photo, int ReferenceFaces, int DeviceFaces, double MinIou, double MinCosine, bool Passed);

/// <summary>The whole check: every photo, and whether the device computes what the reference computes.</summary>
internal sealed record AgreementReport(
    string Device,
    string DeviceProvider,
    string Reference,
    string ReferenceProvider,
    string Detector,
    string Recognizer,
    double MinIouRequired,
    double MinCosineRequired,
    int Photos,
    int Faces,
    double MinIou,
    double MinCosine,
    IReadOnlyList<string> FailedPhotos,
    IReadOnlyList<PhotoAgreement> PerPhoto)
{
    public bool Passed => FailedPhotos.Count == 0;

    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{Device} ({DeviceProvider}) against {Reference} ({ReferenceProvider}); {Detector} + {Recognizer}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"photo",-36} {"faces ref",9} {"faces dev",9} {"min IoU",8} {"min cosine",11}  ok");
        foreach (var photo in PerPhoto)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{photo.Photo,-36} {photo.ReferenceFaces,9} {photo.DeviceFaces,9} {photo.MinIou,8:0.0000} {photo.MinCosine,11:0.000000}  {(photo.Passed ? "yes" : "NO")}");
        }

        text.Append(CultureInfo.InvariantCulture,
            $"{Photos} photos, {Faces} faces: min IoU {MinIou:0.0000} (need {MinIouRequired}), min cosine {MinCosine:0.000000} (need {MinCosineRequired}): ");
        text.Append(Passed ? "PASSED" : $"FAILED on {string.Join(", ", FailedPhotos)}");
        return text.ToString();
    }
}

/// <summary>
/// Matches the faces two providers found in one photo and measures how far apart they are: box overlap (IoU)
/// for detection, cosine similarity of the embeddings for recognition.
/// </summary>
public static class ProviderAgreement
{
    /// <summary>
    /// Pairs each reference face, most confident first, with the unpaired device face that overlaps it most.
    /// A face either side leaves unpaired fails the photo, as does any pair under either threshold.
    /// </summary>
    public static PhotoAgreement Compare(string photo, IReadOnlyList<EmbeddedFace> reference, IReadOnlyList<EmbeddedFace> device, double minIou, double minCosine)
    {
        var unpaired = device.ToList();
        double lowestIou = 1, lowestCosine = 1;
        foreach (var face in reference.OrderByDescending(f => f.Face.Score))
        {
            var best = unpaired.OrderByDescending(d => d.Face.Box.IntersectionOverUnion(face.Face.Box)).FirstOrDefault();
            var iou = best is null ? 0 : best.Face.Box.IntersectionOverUnion(face.Face.Box);
            if (best is null || iou <= 0)
            {
                lowestIou = 0;
                lowestCosine = Math.Min(lowestCosine, 0);
                continue;
            }

            unpaired.Remove(best);
            lowestIou = Math.Min(lowestIou, iou);
            lowestCosine = Math.Min(lowestCosine, FaceRecognizer.Similarity(face.Embedding, best.Embedding));
        }

        var passed = reference.Count == device.Count && lowestIou >= minIou && lowestCosine >= minCosine;
        return new PhotoAgreement(photo, reference.Count, device.Count, lowestIou, lowestCosine, passed);
    }
}
