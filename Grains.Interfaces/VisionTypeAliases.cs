using FaceOrleans.Contracts;
using FaceOrleans.Vision;
using Orleans.Serialization.Configuration;

[assembly: TypeManifestProvider(typeof(VisionTypeAliases))]

namespace FaceOrleans.Contracts;

/// <summary>
/// Stable wire names for the Vision types that cross grain calls. [Alias] cannot go on them (Vision references
/// no Orleans), so they are registered here, as the code generator registers the aliases of this project's types;
/// a rename or a move to another assembly then leaves the wire format unchanged.
/// </summary>
public sealed class VisionTypeAliases : TypeManifestProviderBase
{
    protected override void ConfigureInner(TypeManifestOptions options)
    {
        options.WellKnownTypeAliases["faceorleans.RequestRejectedException"] = typeof(RequestRejectedException);
        options.WellKnownTypeAliases["faceorleans.RejectionCode"] = typeof(RejectionCode);
        options.WellKnownTypeAliases["faceorleans.FaceOptions"] = typeof(FaceOptions);
    }
}
