using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>Lets a grain pass the pipeline's <see cref="FaceOptions"/> as they are, so a tenant's resolution reaches its slice unchanged.</summary>
[RegisterConverter]
public sealed class FaceOptionsConverter : IConverter<FaceOptions, FaceOptionsSurrogate>
{
    // Every member of FaceOptions is either a catalogued setting (restored below) or one of the three image limits the
    // surrogate carries itself; WireFormatTests and TenantSettingCatalogueTests send every setting away from its default.
    private static readonly FaceOptions Empty = new(0, 0, new ImageLimits(), 0, new QualityLimits(0, 0, 0, 0), default);

    public FaceOptions ConvertFromSurrogate(in FaceOptionsSurrogate surrogate)
    {
        var settings = surrogate.Resolved;
        var limits = new ImageLimits { MinSide = surrogate.MinSide, MaxWorkingSide = surrogate.MaxWorkingSide, MinWorkingSide = surrogate.MinWorkingSide };
        return TenantSettings.Catalogue.Aggregate(Empty with { Limits = limits }, (options, setting) => setting.Restore(settings, options));
    }

    public FaceOptionsSurrogate ConvertToSurrogate(in FaceOptions value)
    {
        var options = value;
        return new(
            TenantSettings.Catalogue.Aggregate(TenantSettings.Default, (settings, setting) => setting.Capture(options, settings)),
            value.Limits.MinSide, value.Limits.MaxWorkingSide, value.Limits.MinWorkingSide);
    }
}
