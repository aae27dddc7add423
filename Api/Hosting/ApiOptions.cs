using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Hosting;

/// <summary>
/// The HTTP front end's settings (section <c>FaceOrleans:Api</c>), read one way: once, at start-up. Composing the host
/// (Kestrel's body limit, the quotas, the embedded silo or not, the ports) uses <see cref="From"/>; everything that runs
/// later takes <c>IOptions&lt;ApiOptions&gt;</c>, bound from the same section and validated at start. Neither is reloaded,
/// so a changed upload limit, key cache duration or quota refresh interval takes effect at the next restart, and the
/// body limit Kestrel enforces can never disagree with the per-file limit a route checks.
/// </summary>
public sealed class ApiOptions
{
    public const string Section = "FaceOrleans:Api";

    /// <summary>The settings as the host is composed with them (before dependency injection exists).</summary>
    public static ApiOptions From(IConfiguration configuration) => configuration.GetSection(Section).Get<ApiOptions>() ?? new ApiOptions();

    /// <summary>Largest accepted image file; a larger upload gets 413.</summary>
    public long MaxUploadBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Bytes of each uploaded file kept in memory while the form is read; the rest of a larger file is spooled to a
    /// temporary file. Null (the default) keeps every file up to <see cref="MaxUploadBytes"/> in memory: the endpoint reads
    /// each file whole into the request right after, so a spool only adds a write and a read of the same bytes
    /// (ASP.NET Core's own default is 64 KB; docs/load.md, "Uploads spooled to disk"). Kestrel's body limits still bound the total.
    /// </summary>
    public long? UploadMemoryBufferBytes { get; set; }

    /// <summary>Most images in one request to a batch route; more is a 413 naming the limit.</summary>
    public int MaxBatchImages { get; set; } = 16;

    /// <summary>Largest request body a batch route accepts (each file is still held to <see cref="MaxUploadBytes"/>).</summary>
    public long MaxBatchUploadBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Longest a request body may take to arrive, from the request's start; a body still incomplete then gets 408
    /// <c>request-timeout</c> and its connection is closed. Kestrel's minimum data rate (240 bytes/s after 5 s) still applies.
    /// </summary>
    public TimeSpan RequestBodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long this API instance keeps a tenant's rate quota before asking its grain again.</summary>
    public TimeSpan QuotaRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Requests one tenant may have in flight on this API instance before it gets 429.</summary>
    public int DefaultMaxConcurrentRequests { get; set; } = 8;

    /// <summary>Per-tenant overrides of <see cref="DefaultMaxConcurrentRequests"/>.</summary>
    public Dictionary<string, int> MaxConcurrentRequests { get; set; } = new(StringComparer.Ordinal);

    /// <summary>SHA-256 (hex) of an admin key that works even before any key is issued: the bootstrap key.</summary>
    public string? AdminKeySha256 { get; set; }

    /// <summary>
    /// Refuse to start without a usable <see cref="AdminKeySha256"/> (the cluster compose sets it, so a deployment whose
    /// secret was not exported stops at once, naming it, instead of running with no way in).
    /// </summary>
    public bool RequireAdminKey { get; set; }

    /// <summary>How long a revoked key may still be accepted by an API instance that cached it.</summary>
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Tenants given demo keys at start-up (the embedded default); the keys are written to <see cref="DemoKeysFile"/>.</summary>
    public List<string> DemoTenants { get; set; } = [];

    /// <summary>A list an operator may give whole, comma-separated (see <c>ConfigurationLists</c>).</summary>
    public const string DemoTenantsKey = Section + ":" + nameof(DemoTenants);

    /// <summary>The demo tenants actually named, each once.</summary>
    public IReadOnlyList<string> NamedDemoTenants => DemoTenants.Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToArray();

    public string DemoKeysFile { get; set; } = "data/demo-keys.env";

    /// <summary>When set, each tenant's log lines also go to <c>{folder}/{tenant}.log</c>.</summary>
    public string? TenantLogDirectory { get; set; }

    /// <summary>What is wrong with the bootstrap admin key setting; null when nothing is.</summary>
    public string? AdminKeyProblem()
    {
        const string Name = Section + ":" + nameof(AdminKeySha256);
        if (string.IsNullOrWhiteSpace(AdminKeySha256))
        {
            return RequireAdminKey ? $"{Name} is not set; give the sha256 (64 hex digits) of your admin key" : null;
        }

        // The sha256 of nothing: what `printf %s "$ADMIN_KEY" | sha256sum` gives when ADMIN_KEY is not set.
        return AdminKeySha256.Length != 64 || !AdminKeySha256.All(char.IsAsciiHexDigit)
            ? $"{Name} must be a sha256 in hex (64 digits), not the key itself"
            : string.Equals(AdminKeySha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", StringComparison.OrdinalIgnoreCase)
                ? $"{Name} is the sha256 of an empty key: the variable it was made from was not set"
                : null;
    }

    public int MaxConcurrentRequestsFor(string tenant) =>
        MaxConcurrentRequests.TryGetValue(tenant, out var limit) ? limit : DefaultMaxConcurrentRequests;

    /// <summary>Checked at start: a bad bootstrap key stops the API with one line naming the setting.</summary>
    internal sealed class Validation : IValidateOptions<ApiOptions>
    {
        public ValidateOptionsResult Validate(string? name, ApiOptions options) =>
            options.AdminKeyProblem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
