namespace FaceOrleans.Contracts;

/// <summary>How the pipeline's resolved <see cref="Vision.FaceOptions"/> cross from a tenant to its slice.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.FaceOptionsSurrogate")]
public readonly record struct FaceOptionsSurrogate(
    [property: Id(0)] float SimilarityThreshold,
    [property: Id(1)] float DetectionThreshold,
    [property: Id(2)] long MaxPixels,
    [property: Id(3)] int MinSide,
    [property: Id(4)] int MaxWorkingSide,
    [property: Id(5)] int MinWorkingSide,
    [property: Id(6)] float IdentificationThreshold,
    [property: Id(7)] float MinInterEyeDistance,
    [property: Id(8)] float MinSharpness,
    [property: Id(9)] float MaxYaw,
    [property: Id(10)] float MaxPitch,
    [property: Id(11)] Vision.DetectionMode Detection);
