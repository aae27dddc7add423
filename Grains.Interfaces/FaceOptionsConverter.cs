using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>Lets a grain pass the pipeline's <see cref="FaceOptions"/> as they are, so a tenant's resolution reaches its slice unchanged.</summary>
[RegisterConverter]
public sealed class FaceOptionsConverter : IConverter<FaceOptions, FaceOptionsSurrogate>
{
    public FaceOptions ConvertFromSurrogate(in FaceOptionsSurrogate surrogate) => new(
        surrogate.SimilarityThreshold,
        surrogate.DetectionThreshold,
        new ImageLimits
        {
            MaxPixels = surrogate.MaxPixels,
            MinSide = surrogate.MinSide,
            MaxWorkingSide = surrogate.MaxWorkingSide,
            // A sender that predates the field sends 0: it meant no reduced decode, not a decode down to nothing.
            MinWorkingSide = surrogate.MinWorkingSide > 0 ? surrogate.MinWorkingSide : surrogate.MaxWorkingSide,
        },
        surrogate.IdentificationThreshold,
        new QualityLimits(surrogate.MinInterEyeDistance, surrogate.MinSharpness, surrogate.MaxYaw, surrogate.MaxPitch),
        surrogate.Detection);

    public FaceOptionsSurrogate ConvertToSurrogate(in FaceOptions value) => new(
        value.SimilarityThreshold, value.DetectionThreshold, value.Limits.MaxPixels, value.Limits.MinSide, value.Limits.MaxWorkingSide,
        value.Limits.MinWorkingSide, value.IdentificationThreshold,
        value.Quality.MinInterEyeDistance, value.Quality.MinSharpness, value.Quality.MaxYaw, value.Quality.MaxPitch, value.Detection);
}
