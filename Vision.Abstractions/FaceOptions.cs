namespace FaceOrleans.Vision;

/// <summary>
/// The settings one request runs with, fully resolved: the pipeline applies no defaults of its own. A slice's
/// tenant resolves them from the call, the tenant's settings and <see cref="FacePipeline.ModelDefaults"/>;
/// offline tools start from <see cref="FacePipeline.ModelDefaults"/>.
/// </summary>
/// <param name="SimilarityThreshold">Cosine similarity at or above which two faces are the same person (1:1: compare, verify).</param>
/// <param name="DetectionThreshold">Detector score above which a face counts.</param>
/// <param name="Limits">What an upload may be.</param>
/// <param name="IdentificationThreshold">Cosine similarity at or above which a 1:N search names a subject (identify).</param>
/// <param name="Quality">What a face must be to enroll; every measured face is judged against these.</param>
/// <param name="Detection">How hard detection looks: one pass, or tiles too (comparison always uses one pass).</param>
public sealed record FaceOptions(
    float SimilarityThreshold, float DetectionThreshold, ImageLimits Limits, float IdentificationThreshold, QualityLimits Quality, DetectionMode Detection);
