namespace FaceOrleans.Contracts;

/// <summary>
/// How the pipeline's resolved <see cref="Vision.FaceOptions"/> cross from a tenant to its slice: every per-tenant
/// value as <see cref="TenantSettings.Catalogue"/> captures it (so a new setting crosses with no change here), and the
/// image limits no tenant sets. This replaced one member per value (Ids 0-11): both ends of the call always run in
/// one silo process (a tenant grain calls its own silo's slice, <c>LocalSlice.Id</c>, whose InferenceGrain is placed
/// on that silo) and nothing stores it, so no process of another version ever reads this layout.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.FaceOptionsSurrogate")]
public readonly record struct FaceOptionsSurrogate(
    [property: Id(0)] TenantSettings Resolved,
    [property: Id(1)] int MinSide,
    [property: Id(2)] int MaxWorkingSide,
    [property: Id(3)] int MinWorkingSide);
