namespace FaceOrleans.Vision;

/// <summary>Long sides, in pixels, the detector runs at; null takes the detector's manifest entry.</summary>
/// <param name="Full">For /detect and /embed, and the fallback when the prominent-face side finds nothing (default: the model's input size).</param>
/// <param name="ProminentFace">The first try for requests that need only the most prominent face (default: the manifest's <c>prominent_face_side</c>).</param>
public sealed record DetectionSides(int? Full = null, int? ProminentFace = null)
{
    /// <summary>Both sides for this detector; a fixed-input detector always runs at its own size.</summary>
    public (int Full, int ProminentFace) Resolve(IFaceDetector detector)
    {
        if (!detector.HasDynamicInput)
        {
            return (detector.FullSide, detector.FullSide);
        }

        var full = Full ?? detector.FullSide;
        var prominent = ProminentFace ?? detector.ProminentFaceSide ?? full;
        if (full < detector.Stride || prominent < detector.Stride || prominent > full)
        {
            throw new ArgumentException(
                $"Detection sides must be at least {detector.Stride} px with the prominent-face side ({prominent}) at most the full side ({full}).");
        }

        return (full, prominent);
    }
}
