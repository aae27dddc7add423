namespace FaceOrleans.Grains.Hosting;

/// <summary>How silos find each other and where grain state lives (section <c>FaceOrleans:Cluster</c>).</summary>
public sealed class FaceOrleansClusterOptions
{
    public const string Section = "FaceOrleans:Cluster";

    public ClusterMode Mode { get; set; } = ClusterMode.Embedded;

    public string ClusterId { get; set; } = "faceorleans";

    public string ServiceId { get; set; } = "faceorleans";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>redis:6379</c>; required in Redis mode.</summary>
    public string? Redis { get; set; }

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients reach this silo at (Redis mode); loopback by default.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>SQLite file for grain state in embedded mode.</summary>
    public string StoragePath { get; set; } = "data/faceorleans.db";

    /// <summary>SQLite file for the 1:N galleries in embedded mode; by default beside <see cref="StoragePath"/>.</summary>
    public string? GalleryPath { get; set; }

    public string GalleryPathOrDefault =>
        GalleryPath ?? Path.Combine(Path.GetDirectoryName(StoragePath) ?? ".", Path.GetFileNameWithoutExtension(StoragePath) + "-gallery.db");
}
