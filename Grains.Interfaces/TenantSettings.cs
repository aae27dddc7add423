namespace FaceOrleans.Grains;

/// <summary>
/// A tenant's run-time configuration, stored with the tenant; null values fall back to the model's defaults (and
/// the enrollment quality limits to <see cref="Vision.QualityLimits.Default"/>).
/// Each request's own values come first (see <see cref="RequestOptions"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.TenantSettings")]
public sealed record TenantSettings(
    [property: Id(0)] string? DisplayName = null,
    [property: Id(1)] float? SimilarityThreshold = null,
    [property: Id(2)] float? DetectionThreshold = null,
    [property: Id(3)] long? MaxImagePixels = null,
    [property: Id(4)] bool StoreEnrollmentPhotos = false,
    [property: Id(5)] float? IdentificationThreshold = null,
    [property: Id(6)] float? MinInterEyePixels = null,
    [property: Id(7)] float? MinSharpness = null,
    [property: Id(8)] float? MaxYawDegrees = null,
    [property: Id(9)] float? MaxPitchDegrees = null,
    [property: Id(10)] Vision.DetectionMode? DetectionMode = null,
    [property: Id(11)] int? FaceRetentionDays = null,
    [property: Id(12)] int? PhotoRetentionDays = null,
    [property: Id(13)] int? AuditRetentionDays = null)
{
    public static readonly TenantSettings Default = new();

    /// <summary>Refuses settings out of range, naming them as <c>PUT /v1/{tenant}/config</c> does.</summary>
    public void ThrowIfInvalid() => SettingRules.ThrowIfAny(
        ("similarity_threshold", SettingRules.CheckThreshold(SimilarityThreshold, "similarity_threshold")),
        ("identification_threshold", SettingRules.CheckThreshold(IdentificationThreshold, "identification_threshold")),
        ("det_threshold", SettingRules.CheckThreshold(DetectionThreshold, "det_threshold")),
        ("max_image_pixels", SettingRules.CheckImagePixels(MaxImagePixels, "max_image_pixels")),
        ("min_inter_eye_px", SettingRules.CheckRange(MinInterEyePixels, "min_inter_eye_px", 0, 10_000)),
        ("min_sharpness", SettingRules.CheckRange(MinSharpness, "min_sharpness", 0, 100_000)),
        ("max_yaw", SettingRules.CheckRange(MaxYawDegrees, "max_yaw", 0, 90)),
        ("max_pitch", SettingRules.CheckRange(MaxPitchDegrees, "max_pitch", 0, 90)),
        ("detection_mode", SettingRules.CheckMode(DetectionMode, "detection_mode")),
        ("face_retention_days", SettingRules.CheckRange(FaceRetentionDays, "face_retention_days", 1, 36_500)),
        ("photo_retention_days", SettingRules.CheckRange(PhotoRetentionDays, "photo_retention_days", 1, 36_500)),
        ("audit_retention_days", SettingRules.CheckRange(AuditRetentionDays, "audit_retention_days", 1, 36_500)),
        ("display_name", DisplayName is { Length: > 200 } ? "display_name must be at most 200 characters" : null));
}
