namespace FaceOrleans.Contracts.Hosting;

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

    /// <summary>
    /// The address other silos and clients reach this silo at (Redis mode); loopback by default. An IP address, a host
    /// name (resolved at start, IPv4 preferred) or <c>auto</c> for this machine's own address (see <see cref="Hosting.AdvertisedAddress"/>).
    /// </summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// A file the silo rewrites every few seconds while it is an active cluster member, for the <c>probe</c> command
    /// (a container's liveness check); blank: none (see <see cref="SiloLivenessFile"/>).
    /// </summary>
    public string? LivenessFile { get; set; }

    /// <summary>SQLite file for grain state in embedded mode.</summary>
    public string StoragePath { get; set; } = "data/faceorleans.db";

    /// <summary>SQLite file for the 1:N galleries in embedded mode; by default beside <see cref="StoragePath"/>.</summary>
    public string? GalleryPath { get; set; }

    public string GalleryPathOrDefault =>
        GalleryPath ?? Path.Combine(Path.GetDirectoryName(StoragePath) ?? ".", Path.GetFileNameWithoutExtension(StoragePath) + "-gallery.db");

    /// <summary>How fast a dead silo is noticed and a call to it fails (section <c>FaceOrleans:Cluster:Failure</c>).</summary>
    public FailureDetectionOptions Failure { get; set; } = new();
}

/// <summary>
/// Failure detection tuned for a LAN cluster: a silo killed with <c>kill -9</c> is declared dead about
/// <see cref="ProbeTimeout"/> × <see cref="MissedProbes"/> after it stops answering (≈3 s by default, Orleans' own
/// defaults take 15 s or more), and every call still waiting on it then fails at once. Shorter settings notice a death
/// sooner but may declare a silo that merely stalled (a long GC pause, a starved CPU) dead; that silo then stops and
/// its tenants get 503 until it is restarted. An API client notices the death within <see cref="MembershipPoll"/> of it
/// being declared and resends, or fails with 503, the calls it still had in flight there.
/// </summary>
public sealed class FailureDetectionOptions
{
    /// <summary>How long a silo waits for a probe's answer, and how often it probes.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Probes a silo may miss in a row before its prober votes it dead.</summary>
    public int MissedProbes { get; set; } = 3;

    /// <summary>How long a vote counts: votes older than this do not add up to a death.</summary>
    public TimeSpan DeathVoteExpiration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a call may wait for its answer before it fails with a timeout (silos and API clients). Not how a dead
    /// silo is noticed (probing does that); a backstop for a silo that is alive but stuck, sized above the slowest
    /// normal call, the first one after a slice starts on a busy CPU.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often an API client re-reads the gateway list, to drop a dead gateway and take a restarted one.</summary>
    public TimeSpan GatewayListRefresh { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often an API client reads membership to notice a silo that has been declared dead, and resends the calls in
    /// flight that it would otherwise never answer (a call passes through a gateway that is often not its grain's silo,
    /// and that gateway does not fail what it forwarded). Adds at most this to how long such a call takes to get its
    /// 503; each read is one small read of the membership table per API instance.
    /// </summary>
    public TimeSpan MembershipPoll { get; set; } = TimeSpan.FromMilliseconds(500);
}
