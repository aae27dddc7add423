using System.Globalization;
using System.Net;
using System.Text;
using FaceOrleans.Tests.Api;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// A cluster of real processes, as an operator runs one: a redis-server on a free loopback port; one silo process
/// per slice, <c>cpu-1</c> for <c>attendance</c>, <c>cpu-2</c> for <c>access</c>, <c>cpu-3</c> for <c>analytics</c> and
/// standing by for <c>access</c>, <c>cpu-4</c> serving nobody and standing by for <c>analytics</c>; and the API as a
/// plain Orleans client of them. Every pin is also configured cluster-wide, so a tenant whose silo died is refused
/// (503) rather than moved; each process can be killed with SIGKILL and started again on the same ports.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    public static readonly IReadOnlyDictionary<string, string> SliceOfTenant = new Dictionary<string, string>
    {
        ["attendance"] = "cpu-1",
        ["access"] = "cpu-2",
        ["analytics"] = "cpu-3",
    };

    private static readonly Dictionary<string, (string Tenants, string StandbyFor)> Slices = new()
    {
        ["cpu-1"] = ("attendance", ""),
        ["cpu-2"] = ("access", ""),
        ["cpu-3"] = ("analytics", "access"),
        ["cpu-4"] = ("", "analytics"),
    };

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("faceorleans-faults-");
    private readonly string _clusterId = "faults-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<string, (int Silo, int Gateway)> _ports = Slices.Keys.ToDictionary(s => s, _ => (RealHosts.FreePort(), RealHosts.FreePort()));
    private readonly Dictionary<string, ServerProcess> _silos = [];
    private readonly List<ServerProcess> _exited = [];
    private RedisServer _redis = null!;
    private ServerProcess? _api;

    public Uri Api { get; } = new($"http://127.0.0.1:{RealHosts.FreePort()}");

    public IReadOnlyDictionary<string, string> KeysByTenant { get; private set; } = new Dictionary<string, string>();

    /// <summary>The API's served OpenAPI document, read once it is first ready, to check the answers the tests get.</summary>
    public OpenApiContract? Contract { get; private set; }

    private string KeysFile => Path.Combine(_folder.FullName, "demo-keys.env");

    public static async Task<ProcessCluster> StartAsync()
    {
        var cluster = new ProcessCluster();
        cluster._redis = await RedisServer.StartAsync();
        foreach (var slice in Slices.Keys)
        {
            cluster.StartSilo(slice);
        }

        await cluster.StartApiAsync();
        return cluster;
    }

    public void StartSilo(string slice)
    {
        var (tenants, standbyFor) = Slices[slice];
        _silos[slice] = ServerProcess.Start(TestPaths.SiloAssembly,
        [
            .. ClusterArguments(),
            $"--FaceOrleans:Cluster:SiloPort={_ports[slice].Silo.ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:GatewayPort={_ports[slice].Gateway.ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Slice:Id={slice}",
            $"--FaceOrleans:Slice:Tenants={tenants}",
            $"--FaceOrleans:Slice:StandbyFor={standbyFor}",
            $"--FaceOrleans:Models:Directory={TestPaths.ModelsDirectory}",
            "--FaceOrleans:Slice:IntraOpThreads=1",
            "--FaceOrleans:Placement:RefuseUnknownTenants=true",
            "--FaceOrleans:Placement:DefaultSlice=",
            .. SliceOfTenant.Select(p => $"--FaceOrleans:Placement:Pins:{p.Key}={p.Value}"),
        ], _folder.FullName);
    }

    /// <summary>Starts the API and waits until it answers ready and has written every tenant's demo key.</summary>
    public async Task StartApiAsync()
    {
        _api = ServerProcess.Start(TestPaths.ApiAssembly,
        [
            "--urls", Api.ToString(),
            .. ClusterArguments(),
            $"--FaceOrleans:Api:DemoTenants={string.Join(',', SliceOfTenant.Keys)}",
            $"--FaceOrleans:Api:DemoKeysFile={KeysFile}",
        ], _folder.FullName);
        var keys = await _api.WaitForAsync(() => ApiFixture.ReadDemoKeysAsync(KeysFile, SliceOfTenant.Count + 1), TimeSpan.FromMinutes(4), "the API never wrote its demo keys");
        KeysByTenant = SliceOfTenant.Keys.ToDictionary(t => t, t => keys[t.ToUpperInvariant() + "_KEY"]);
        using var http = new HttpClient { BaseAddress = Api, Timeout = TimeSpan.FromSeconds(30) };
        await _api.WaitForAsync(async () =>
        {
            try
            {
                return await http.GetAsync(new Uri("/health/ready", UriKind.Relative)) is { StatusCode: HttpStatusCode.OK } ready ? ready : null;
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }, TimeSpan.FromMinutes(3), "the API never became ready");
        Contract ??= await OpenApiContract.LoadAsync(http);
    }

    /// <summary>Waits until the slice's silo accepts connections at its gateway: it has joined the cluster.</summary>
    public Task WaitForGatewayAsync(string slice) => _silos[slice].WaitForAsync(async () =>
    {
        using var probe = new System.Net.Sockets.TcpClient();
        try
        {
            await probe.ConnectAsync(IPAddress.Loopback, _ports[slice].Gateway);
            return probe.Connected ? slice : null;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }, TimeSpan.FromMinutes(3), $"silo {slice} never opened its gateway");

    public Task KillSiloAsync(string slice) => Retire(_silos[slice]).KillAsync();

    public Task KillApiAsync() => Retire(_api!).KillAsync();

    /// <summary>Writes every process's whole output to a folder that outlives the test; returns where, and each one's errors.</summary>
    public async Task<string> SaveLogsAsync()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "faceorleans-fault-logs", _clusterId));
        var processes = _silos.Select(s => ($"silo-{s.Key}", s.Value)).Append(("api", _api!)).Concat(_exited.Select((e, i) => ($"exited-{i}", e)));
        var errors = new StringBuilder($"Whole logs in {folder.FullName}\n");
        foreach (var (name, process) in processes)
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, name + ".log"), process.Output);
            var lines = process.Output.Split('\n');
            errors.AppendLine(CultureInfo.InvariantCulture, $"--- {name}:");
            foreach (var at in Enumerable.Range(0, lines.Length).Where(i => lines[i].StartsWith("fail:", StringComparison.Ordinal) || lines[i].StartsWith("crit:", StringComparison.Ordinal)).Take(10))
            {
                errors.AppendJoin('\n', lines.Skip(at).Take(6)).AppendLine();
            }
        }

        return errors.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _silos.Values.Append(_api).OfType<ServerProcess>().Concat(_exited).Distinct())
        {
            await process.DisposeAsync();
        }

        await _redis.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    private ServerProcess Retire(ServerProcess process)
    {
        _exited.Add(process);
        return process;
    }

    private readonly string _masterKey = Grains.Protection.MasterKeyProvider.NewKeyText();

    private string[] ClusterArguments() =>
    [
        "--FaceOrleans:Cluster:Mode=Redis",
        $"--FaceOrleans:Cluster:Redis={_redis.ConnectionString}",
        $"--FaceOrleans:Cluster:ClusterId={_clusterId}",
        // Redis mode starts only with the master key every silo shares (docs/data-protection.md).
        $"--FaceOrleans:Protection:MasterKey={_masterKey}",
        "--FaceOrleans:Cluster:ServiceId=faceorleans-faults",
    ];
}
