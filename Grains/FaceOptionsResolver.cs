using FaceOrleans.Vision;

namespace FaceOrleans.Grains;

/// <summary>
/// The one place a request's settings are decided: what the call asked for (checked here), else the tenant's
/// settings, else the models' defaults; the pixel limit is the smaller of the call's and the tenant's; the enrollment
/// quality limits are the tenant's, else the defaults. The result
/// has no gaps, so neither the slice nor the pipeline applies a default of its own.
/// </summary>
internal static class FaceOptionsResolver
{
    public static FaceOptions Resolve(RequestOptions call, TenantSettings tenant, FaceOptions modelDefaults)
    {
        call.ThrowIfInvalid();
        return new FaceOptions(
            call.SimilarityThreshold ?? tenant.SimilarityThreshold ?? modelDefaults.SimilarityThreshold,
            call.DetectionThreshold ?? tenant.DetectionThreshold ?? modelDefaults.DetectionThreshold,
            modelDefaults.Limits with { MaxPixels = Smaller(call.MaxImagePixels, tenant.MaxImagePixels) ?? modelDefaults.Limits.MaxPixels },
            call.IdentificationThreshold ?? tenant.IdentificationThreshold ?? modelDefaults.IdentificationThreshold,
            new QualityLimits(
                tenant.MinInterEyePixels ?? modelDefaults.Quality.MinInterEyeDistance,
                tenant.MinSharpness ?? modelDefaults.Quality.MinSharpness,
                tenant.MaxYawDegrees ?? modelDefaults.Quality.MaxYaw,
                tenant.MaxPitchDegrees ?? modelDefaults.Quality.MaxPitch),
            call.DetectionMode ?? tenant.DetectionMode ?? modelDefaults.Detection);
    }

    private static long? Smaller(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
