using System.Globalization;
using System.Net;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The API executable with its embedded silo, started as an operator starts it: <c>dotnet FaceOrleans.Api.dll</c>
/// from a folder that is not its own, listening on a real socket (a browser needs one) on a free port, with its
/// state and demo keys in a temporary folder. Only <c>attendance</c> gets a demo key: the file's list of two is
/// replaced on the command line by a one-item comma-separated list.
/// </summary>
public sealed class ApiProcessFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("faceorleans-api-process-");

    public ServerProcess Api { get; private set; } = null!;

    public Uri BaseAddress { get; } = new($"http://127.0.0.1:{RealHosts.FreePort()}");

    public IReadOnlyDictionary<string, string> DemoKeys { get; private set; } = new Dictionary<string, string>();

    public string AttendanceKey => DemoKeys["ATTENDANCE_KEY"];

    public async Task InitializeAsync()
    {
        string Port() => RealHosts.FreePort().ToString(CultureInfo.InvariantCulture);
        Api = ServerProcess.Start(TestPaths.ApiAssembly,
        [
            "--urls", BaseAddress.ToString(),
            "--FaceOrleans:Api:DemoTenants=attendance",
            $"--FaceOrleans:Api:DemoKeysFile={Path.Combine(_folder.FullName, "demo-keys.env")}",
            $"--FaceOrleans:Cluster:ClusterId=console-{Guid.NewGuid():N}",
            $"--FaceOrleans:Cluster:SiloPort={Port()}",
            $"--FaceOrleans:Cluster:GatewayPort={Port()}",
            $"--FaceOrleans:Cluster:StoragePath={Path.Combine(_folder.FullName, "state.db")}",
            $"--FaceOrleans:Models:Directory={TestPaths.ModelsDirectory}",
            "--FaceOrleans:Slice:IntraOpThreads=1",
        ], workingDirectory: _folder.FullName);

        // One key for the one demo tenant, plus the admin key.
        DemoKeys = await Api.WaitForAsync(() => ApiFixture.ReadDemoKeysAsync(Path.Combine(_folder.FullName, "demo-keys.env"), 2),
            TimeSpan.FromMinutes(3), "the API never wrote its demo keys");
        using var client = Client();
        await Api.WaitForAsync(async () => await client.GetAsync(new Uri("/health/ready", UriKind.Relative)) is { StatusCode: HttpStatusCode.OK } ready ? ready : null,
            TimeSpan.FromMinutes(2), "the API never became ready");
    }

    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        _folder.Delete(recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ApiProcessGroup : ICollectionFixture<ApiProcessFixture>
{
    public const string Name = "api-process";
}
