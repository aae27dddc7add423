using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace FaceOrleans.Grains;

public static class FaceOrleansStorage
{
    /// <summary>The grain storage provider holding tenant state (SQLite when embedded, Redis in a cluster).</summary>
    public const string Name = "faceorleans";

    /// <summary>
    /// Orleans' own version-tolerant binary format, keyed by the [Id]s on the state types. Orleans' default
    /// storage serializer (Newtonsoft JSON) fills existing objects in place when it reads, so a default value
    /// shared between records picked up one tenant's settings and leaked them into another's.
    /// </summary>
    public static IGrainStorageSerializer Serializer(IServiceProvider services) =>
        new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
}
