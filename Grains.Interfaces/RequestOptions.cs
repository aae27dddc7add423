namespace FaceOrleans.Contracts;

/// <summary>
/// What one call asks for; null leaves it to the tenant's settings, then the model's defaults. The tenant grain
/// resolves these into the <see cref="Vision.FaceOptions"/> the slice runs with.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.RequestOptions")]
public sealed record RequestOptions(
    [property: Id(0)] float? SimilarityThreshold = null,
    [property: Id(1)] float? DetectionThreshold = null,
    [property: Id(2)] long? MaxImagePixels = null,
    [property: Id(3)] float? IdentificationThreshold = null,
    [property: Id(4)] Vision.DetectionMode? DetectionMode = null)
{
    public static readonly RequestOptions None = new();

    /// <summary>Refuses values out of range, naming them as the API's form fields do (each setting's <see cref="TenantSetting.CallField"/>).</summary>
    public void ThrowIfInvalid() => SettingRules.ThrowIfAny(
        TenantSettings.Catalogue.Where(setting => setting.CallField is not null).Select(setting => (setting.CallField!, setting.CallProblem(this))).ToArray());
}
