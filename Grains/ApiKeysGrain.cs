using System.Security.Cryptography;
using FaceOrleans.Vision;

namespace FaceOrleans.Grains;

/// <summary>
/// The API keys of the whole cluster. Not reentrant: issue and revoke change one list and must not
/// interleave. API front ends cache the snapshot, so this grain sees a call every few seconds, not per request.
/// </summary>
[GrainType("apikeys")]
public sealed class ApiKeysGrain([PersistentState("api-keys", FaceOrleansStorage.Name)] IPersistentState<ApiKeysRecord> state)
    : Grain, IApiKeysGrain
{
    public async Task<IssuedApiKey> Issue(string? tenant, ApiKeyRole role, string? description)
    {
        if (role != ApiKeyRole.Admin && string.IsNullOrWhiteSpace(tenant))
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "tenant", "a tenant key needs a tenant");
        }

        if (role == ApiKeyRole.Admin && tenant is not null)
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "tenant", "an admin key belongs to no tenant");
        }

        // 256 random bits: a plain SHA-256 of the key is then as safe to store as a slow password hash.
        var key = "fo_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = Base64Url(RandomNumberGenerator.GetBytes(6));
        state.State.Keys.Add(new ApiKeyEntry(id, ApiKeyHash.Of(key), tenant, role, DateTimeOffset.UtcNow, description));
        state.State.Version++;
        await state.WriteStateAsync();
        return new IssuedApiKey(id, key, tenant, role);
    }

    public async Task<bool> Revoke(string keyId)
    {
        if (state.State.Keys.RemoveAll(k => k.Id == keyId) == 0)
        {
            return false;
        }

        state.State.Version++;
        await state.WriteStateAsync();
        return true;
    }

    public async Task<int> RevokeTenant(string tenant)
    {
        var revoked = state.State.Keys.RemoveAll(k => k.Tenant == tenant);
        if (revoked > 0)
        {
            state.State.Version++;
            await state.WriteStateAsync();
        }

        return revoked;
    }

    public Task<ApiKeySnapshot> Snapshot() => Task.FromResult(new ApiKeySnapshot(state.State.Version, state.State.Keys.ToArray()));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
