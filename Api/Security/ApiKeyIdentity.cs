using FaceOrleans.Contracts;

namespace FaceOrleans.Api.Security;

/// <summary>Who a key belongs to.</summary>
public sealed record ApiKeyIdentity(string KeyId, string? Tenant, ApiKeyRole Role);
