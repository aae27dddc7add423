namespace FaceOrleans.Contracts;

/// <summary>
/// Where a tenant's encryption at rest stands: the key that seals new rows, every key with the rows it sealed, and
/// how many rows the background sweep has yet to re-seal under the active key (in the clear, or under an older key).
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.DataKeyStatus")]
public sealed record DataKeyStatus(
    [property: Id(0)] bool Sealing,
    [property: Id(1)] string MasterKeyId,
    [property: Id(2)] int? ActiveKeyId,
    [property: Id(3)] IReadOnlyList<DataKeyRows> Keys,
    [property: Id(4)] long Rows,
    [property: Id(5)] long RowsToSeal);

/// <summary>One data key (a null id: rows in the clear) and how many faces, photos and subjects it sealed.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.DataKeyRows")]
public sealed record DataKeyRows(
    [property: Id(0)] int? KeyId,
    [property: Id(1)] DateTimeOffset? CreatedUtc,
    [property: Id(2)] long Faces,
    [property: Id(3)] long Photos,
    [property: Id(4)] long Subjects);
