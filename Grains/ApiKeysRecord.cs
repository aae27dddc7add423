namespace FaceOrleans.Grains;

/// <summary>What the keys grain stores: every live key's hash and a version that changes on each issue or revocation.</summary>
[GenerateSerializer, Alias("faceorleans.ApiKeysRecord")]
public sealed class ApiKeysRecord
{
    [Id(0)]
    public List<ApiKeyEntry> Keys { get; set; } = [];

    [Id(1)]
    public long Version { get; set; }
}
