namespace FaceOrleans.Contracts;

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

    /// <summary>
    /// Every per-tenant setting, each declared once: a new one is a member above (with the next <c>Id</c>, so stored
    /// records still read), its entry here, and its row in README's settings table (docs/architecture.md, "Three
    /// common changes"). The order is README's and the order a refusal lists its problems in.
    /// </summary>
    public static readonly IReadOnlyList<TenantSetting> Catalogue =
    [
        new TenantSetting<string?>
        {
            Name = "display_name", Property = nameof(DisplayName), Type = "string", Default = "none", Rule = SettingRules.AtMost(200),
            Description = "a name for people; nothing depends on it",
            Get = s => s.DisplayName, Set = (s, v) => s with { DisplayName = v },
        },
        new TenantSetting<float?>
        {
            Name = "similarity_threshold", Property = nameof(SimilarityThreshold), Type = "number", Rule = SettingRules.Threshold,
            Default = "the recognizer's `threshold` (models/manifest.json)", CallField = "threshold",
            Description = "1:1: the cosine similarity at or above which compare and verify say \"same person\"",
            Get = s => s.SimilarityThreshold, Set = (s, v) => s with { SimilarityThreshold = v }, Call = c => c.SimilarityThreshold,
            Resolved = o => o.SimilarityThreshold, Apply = (o, v) => o with { SimilarityThreshold = v.GetValueOrDefault() },
        },
        new TenantSetting<float?>
        {
            Name = "identification_threshold", Property = nameof(IdentificationThreshold), Type = "number", Rule = SettingRules.Threshold,
            Default = "the recognizer's `identification_threshold` (models/manifest.json)", CallField = "threshold",
            Description = "1:N: the cosine similarity at or above which identify names a subject",
            Get = s => s.IdentificationThreshold, Set = (s, v) => s with { IdentificationThreshold = v }, Call = c => c.IdentificationThreshold,
            Resolved = o => o.IdentificationThreshold, Apply = (o, v) => o with { IdentificationThreshold = v.GetValueOrDefault() },
        },
        new TenantSetting<float?>
        {
            Name = "det_threshold", Property = nameof(DetectionThreshold), Type = "number", Rule = SettingRules.Threshold,
            Default = "the detector's `score_threshold` (models/manifest.json)", CallField = "det_threshold",
            Description = "the detector score above which a face counts",
            Get = s => s.DetectionThreshold, Set = (s, v) => s with { DetectionThreshold = v }, Call = c => c.DetectionThreshold,
            Resolved = o => o.DetectionThreshold, Apply = (o, v) => o with { DetectionThreshold = v.GetValueOrDefault() },
        },
        new TenantSetting<long?>
        {
            Name = "max_image_pixels", Property = nameof(MaxImagePixels), Type = "integer", Rule = SettingRules.ImagePixels,
            Default = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Vision.ImageLimits.Default.MaxPixels}"), CallField = "max_image_pixels",
            Description = "the largest canvas an upload may declare; a call through the grain interface may lower it (no route takes it)",
            Get = s => s.MaxImagePixels, Set = (s, v) => s with { MaxImagePixels = v }, Call = c => c.MaxImagePixels, Combine = (call, tenant) => Math.Min(call.GetValueOrDefault(), tenant.GetValueOrDefault()),
            Resolved = o => o.Limits.MaxPixels, Apply = (o, v) => o with { Limits = o.Limits with { MaxPixels = v.GetValueOrDefault() } },
        },
        new TenantSetting<bool>
        {
            Name = "store_enrollment_photos", Property = nameof(StoreEnrollmentPhotos), Type = "boolean", Default = "false",
            Description = "keep each enrollment photo, so the gallery can be re-embedded after a recognizer change",
            Get = s => s.StoreEnrollmentPhotos, Set = (s, v) => s with { StoreEnrollmentPhotos = v },
        },
        new TenantSetting<float?>
        {
            Name = "min_inter_eye_px", Property = nameof(MinInterEyePixels), Type = "number", Rule = SettingRules.Range(0, 10_000),
            Default = Text(Vision.QualityLimits.Default.MinInterEyeDistance), Description = "enrollment: the fewest pixels between the eyes",
            Get = s => s.MinInterEyePixels, Set = (s, v) => s with { MinInterEyePixels = v },
            Resolved = o => o.Quality.MinInterEyeDistance, Apply = (o, v) => o with { Quality = o.Quality with { MinInterEyeDistance = v.GetValueOrDefault() } },
        },
        new TenantSetting<float?>
        {
            Name = "min_sharpness", Property = nameof(MinSharpness), Type = "number", Rule = SettingRules.Range(0, 100_000),
            Default = Text(Vision.QualityLimits.Default.MinSharpness), Description = "enrollment: the least sharpness (variance of the Laplacian of the crop)",
            Get = s => s.MinSharpness, Set = (s, v) => s with { MinSharpness = v },
            Resolved = o => o.Quality.MinSharpness, Apply = (o, v) => o with { Quality = o.Quality with { MinSharpness = v.GetValueOrDefault() } },
        },
        new TenantSetting<float?>
        {
            Name = "max_yaw", Property = nameof(MaxYawDegrees), Type = "number", Rule = SettingRules.Range(0, 90),
            Default = Text(Vision.QualityLimits.Default.MaxYaw), Description = "enrollment: the most the head may turn aside, in degrees",
            Get = s => s.MaxYawDegrees, Set = (s, v) => s with { MaxYawDegrees = v },
            Resolved = o => o.Quality.MaxYaw, Apply = (o, v) => o with { Quality = o.Quality with { MaxYaw = v.GetValueOrDefault() } },
        },
        new TenantSetting<float?>
        {
            Name = "max_pitch", Property = nameof(MaxPitchDegrees), Type = "number", Rule = SettingRules.Range(0, 90),
            Default = Text(Vision.QualityLimits.Default.MaxPitch), Description = "enrollment: the most the head may tilt up or down, in degrees",
            Get = s => s.MaxPitchDegrees, Set = (s, v) => s with { MaxPitchDegrees = v },
            Resolved = o => o.Quality.MaxPitch, Apply = (o, v) => o with { Quality = o.Quality with { MaxPitch = v.GetValueOrDefault() } },
        },
        new TenantSetting<Vision.DetectionMode?>
        {
            Name = "detection_mode", Property = nameof(DetectionMode), Type = "`fast` or `thorough`", Rule = SettingRules.Mode,
            Default = "`fast`", CallField = "mode",
            Description = "how hard detection looks: one pass, or tiles too (compare, verify and enroll always use one pass)",
            Get = s => s.DetectionMode, Set = (s, v) => s with { DetectionMode = v }, Call = c => c.DetectionMode,
            Resolved = o => o.Detection, Apply = (o, v) => o with { Detection = v.GetValueOrDefault() },
        },
        new TenantSetting<int?>
        {
            Name = "face_retention_days", Property = nameof(FaceRetentionDays), Type = "integer", Rule = SettingRules.RetentionDays, Default = "off",
            Description = "retention: erase a subject whose newest face is older than this many days",
            Get = s => s.FaceRetentionDays, Set = (s, v) => s with { FaceRetentionDays = v },
        },
        new TenantSetting<int?>
        {
            Name = "photo_retention_days", Property = nameof(PhotoRetentionDays), Type = "integer", Rule = SettingRules.RetentionDays, Default = "off",
            Description = "retention: erase stored enrollment photos older than this many days (the faces stay)",
            Get = s => s.PhotoRetentionDays, Set = (s, v) => s with { PhotoRetentionDays = v },
        },
        new TenantSetting<int?>
        {
            Name = "audit_retention_days", Property = nameof(AuditRetentionDays), Type = "integer", Rule = SettingRules.RetentionDays, Default = "off",
            Description = "retention: prune audit entries older than this many days (the chain is re-anchored)",
            Get = s => s.AuditRetentionDays, Set = (s, v) => s with { AuditRetentionDays = v },
        },
    ];

    /// <summary>Refuses settings out of range, naming them as <c>PUT /v1/{tenant}/config</c> does.</summary>
    public void ThrowIfInvalid() => SettingRules.ThrowIfAny(Catalogue.Select(setting => (setting.Name, setting.Problem(this))).ToArray());

    private static string Text(float value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
