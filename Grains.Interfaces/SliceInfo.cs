namespace FaceOrleans.Contracts;

/// <summary>A slice as its silo advertises it.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.SliceInfo")]
public sealed record SliceInfo(
    [property: Id(0)] string SliceId,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Device,
    [property: Id(3)] IReadOnlyList<string> Tenants,
    [property: Id(4)] IReadOnlyList<string> StandbyFor);
