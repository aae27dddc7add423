using System.Text;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Hosting;

/// <summary>
/// For the embedded demo: makes sure each demo tenant and an admin have a key, writes them to a file
/// (<c>source data/demo-keys.env</c>) and prints them, so the README's curl examples work at once.
/// Keys are issued once and reused on later starts while they are still valid.
/// </summary>
internal sealed partial class DemoKeys(
    IClusterClient cluster, IOptions<ApiOptions> options, IHostApplicationLifetime lifetime, ILogger<DemoKeys> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken))
        {
            return;
        }

        try
        {
            await WriteDemoKeysAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Demo keys are a convenience: the API keeps serving keys issued through /v1/keys.
            LogFailed(logger, ex);
        }
    }

    private async Task WriteDemoKeysAsync(CancellationToken stoppingToken)
    {
        var file = Path.GetFullPath(options.Value.DemoKeysFile);
        var saved = File.Exists(file) ? Parse(await File.ReadAllLinesAsync(file, stoppingToken)) : [];
        var keys = cluster.GetGrain<IApiKeysGrain>(ApiKeyCache.GrainKey);
        var live = (await keys.Snapshot()).Keys.Select(k => k.Sha256).ToHashSet(StringComparer.Ordinal);
        var wanted = options.Value.NamedDemoTenants.Select(t => (Name: Variable(t), Tenant: (string?)t, Role: ApiKeyRole.TenantAdmin))
            .Append((Name: "ADMIN_KEY", Tenant: null, Role: ApiKeyRole.Admin));

        var lines = new StringBuilder("# FaceOrleans demo keys: source this file, then run the README's curl examples.\n");
        foreach (var (name, tenant, role) in wanted)
        {
            if (!saved.TryGetValue(name, out var key) || !live.Contains(ApiKeyHash.Of(key)))
            {
                key = (await keys.Issue(tenant, role, "demo key")).Key;
            }

            lines.Append(name).Append('=').Append(key).Append('\n');
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, lines.ToString(), stoppingToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var text = lines.ToString();
        LogKeys(logger, file, text);
    }

    private async Task<bool> WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(started.SetResult);
        await started.Task.WaitAsync(stoppingToken);
        return !stoppingToken.IsCancellationRequested;
    }

    private static string Variable(string tenant) => tenant.ToUpperInvariant().Replace('-', '_') + "_KEY";

    private static Dictionary<string, string> Parse(string[] lines) =>
        lines.Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not issue the demo API keys")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    // Information, not a warning: demo keys are what the embedded default is meant to issue, and a healthy start logs no warning.
    [LoggerMessage(Level = LogLevel.Information, Message = "Demo API keys (also in {File}):\n{Keys}")]
    private static partial void LogKeys(ILogger logger, string file, string keys);
}
