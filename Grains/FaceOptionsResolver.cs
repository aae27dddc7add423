using FaceOrleans.Vision;

namespace FaceOrleans.Grains;

/// <summary>
/// The one place a request's settings are decided: what the call asked for (checked here), else the tenant's
/// settings, else the models' defaults, setting by setting as <see cref="TenantSettings.Catalogue"/> declares (the
/// pixel limit is the smaller of the call's and the tenant's; the enrollment quality limits are the tenant's alone).
/// The result has no gaps, so neither the slice nor the pipeline applies a default of its own.
/// </summary>
internal static class FaceOptionsResolver
{
    public static FaceOptions Resolve(RequestOptions call, TenantSettings tenant, FaceOptions modelDefaults)
    {
        call.ThrowIfInvalid();
        return TenantSettings.Catalogue.Aggregate(modelDefaults, (options, setting) => setting.Resolve(options, call, tenant));
    }
}
