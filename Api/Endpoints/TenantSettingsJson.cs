using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using FaceOrleans.Contracts;

namespace FaceOrleans.Api.Endpoints;

/// <summary>
/// The JSON shape of a tenant's settings (the body of <c>PUT /v1/{tenant}/config</c>, <c>config</c> in a tenant's
/// answers, and their OpenAPI schema): the stored <see cref="TenantSettings"/> itself, each member under its name in
/// <see cref="TenantSettings.Catalogue"/>, so a new setting needs no JSON type of its own.
/// </summary>
internal static class TenantSettingsJson
{
    /// <summary>A <see cref="JsonTypeInfo"/> modifier: renames <see cref="TenantSettings"/>' members as the catalogue names them.</summary>
    public static void NameFromCatalogue(JsonTypeInfo type)
    {
        if (type.Type != typeof(TenantSettings))
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            var member = (property.AttributeProvider as MemberInfo)?.Name;
            property.Name = TenantSettings.Catalogue.SingleOrDefault(setting => setting.Property == member)?.Name
                ?? throw new InvalidOperationException($"TenantSettings.{member} has no entry in TenantSettings.Catalogue.");
        }
    }
}
