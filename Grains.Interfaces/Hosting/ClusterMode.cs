namespace FaceOrleans.Contracts.Hosting;

/// <summary>How a cluster keeps membership and grain state.</summary>
public enum ClusterMode
{
    /// <summary>One machine: localhost clustering and a SQLite file for grain state.</summary>
    Embedded,

    /// <summary>Many machines: Redis for membership and grain state.</summary>
    Redis,
}
