namespace FaceOrleans.Contracts;

/// <summary>A tenant's data keys (key = tenant id): their status, and rotation to a new key for new rows.</summary>
[Alias("faceorleans.ITenantKeysGrain")]
public interface ITenantKeysGrain : IGrainWithStringKey
{
    [Alias("GetStatus"), Idempotent]
    Task<DataKeyStatus> GetStatus();

    /// <summary>Adds a data key that seals new rows from now on; older rows are re-sealed under it in the background.</summary>
    [Alias("Rotate")]
    Task<DataKeyStatus> Rotate();
}
