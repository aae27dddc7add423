namespace FaceOrleans.Contracts;

/// <summary>Where a grain runs: its silo and the slice that silo owns.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.SliceLocation")]
public sealed record SliceLocation(
    [property: Id(0)] string SliceId,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Device,
    [property: Id(3)] bool IsStandby);
