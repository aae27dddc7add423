namespace FaceOrleans.Grains.Protection;

/// <summary>Encryption at rest of the gallery (section <c>FaceOrleans:Protection</c>).</summary>
public sealed class ProtectionOptions
{
    public const string Section = "FaceOrleans:Protection";

    /// <summary>
    /// Seal every embedding, photo and subject name and metadata under the tenant's data key (on by default). Off
    /// only for measuring its cost: rows already sealed still read, new rows are written in the clear.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The master key as 32 bytes in base64 (an environment secret: <c>FaceOrleans__Protection__MasterKey</c>). Wins over the file.</summary>
    public string? MasterKey { get; set; }

    /// <summary>
    /// A file holding the master key (32 bytes in base64). When neither is set, the embedded default uses
    /// <c>master.key</c> beside the gallery file and creates it (mode 0600) while the gallery holds no data key yet;
    /// Redis mode refuses to start without one.
    /// </summary>
    public string? MasterKeyFile { get; set; }

    /// <summary>
    /// Where the key file is looked for (and created) when none is configured; set by the embedded cluster setup. In
    /// Redis mode there is none: silos on several machines would each create their own key.
    /// </summary>
    public string? DefaultMasterKeyFile { get; set; }

    /// <summary>Rows the background re-encryption (plaintext migration, key rotation) rewrites per transaction.</summary>
    public int SweepBatchSize { get; set; } = 500;

    /// <summary>How often a silo looks for rows not yet under their tenant's active key (it also looks after a rotation it served).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}
