using FaceOrleans.Contracts.Hosting;

namespace FaceOrleans.Grains.Protection;

/// <summary>
/// Wraps and unwraps tenants' data keys under the operator's master key. The default keeps the master key in this
/// process (<see cref="MasterKeyProvider"/>, from a key file or an environment secret); a KMS or a Vault transit
/// engine plugs in here instead, so the master key never leaves it (docs/data-protection.md).
/// </summary>
public interface IKeyProvider
{
    /// <summary>Names the master key, stored with each wrapped key so an operator sees which master key a key needs.</summary>
    string MasterKeyId { get; }

    /// <summary>The data key sealed under the master key, bound to <paramref name="tenant"/>.</summary>
    Task<byte[]> WrapAsync(string tenant, byte[] dataKey, CancellationToken cancellationToken = default);

    /// <summary>The data key; throws <see cref="MasterKeyException"/> when this master key did not wrap it for <paramref name="tenant"/>.</summary>
    Task<byte[]> UnwrapAsync(string tenant, byte[] wrapped, CancellationToken cancellationToken = default);

    /// <summary>
    /// The tenant was deleted, with its wrapped data keys. A provider that keeps a key per tenant (a KMS key, a Vault
    /// transit key) destroys it here, which makes every copy of the tenant's rows unreadable, backups included; one
    /// master key for all tenants has nothing to destroy (docs/data-protection.md, crypto-shredding).
    /// </summary>
    Task DeleteTenantAsync(string tenant, CancellationToken cancellationToken = default);
}
