using System.Globalization;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// The silo's liveness probe (<c>FaceOrleans.Silo probe</c>), as a container HEALTHCHECK runs it beside a real silo
/// process of a Redis cluster that advertises itself by host name, as docker/compose.mig.yml's silos do.
/// </summary>
public sealed class SiloProbeTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("faceorleans-silo-probe-");

    private string LivenessFile => Path.Combine(_folder.FullName, "silo.live");

    [Fact]
    public async Task The_probe_passes_while_a_silo_advertised_by_host_name_is_an_active_member_and_fails_once_it_is_gone()
    {
        await using var redis = await RedisServer.StartAsync();
        Assert.Equal(1, (await Probe()).ExitCode);

        await using var silo = ServerProcess.Start(TestPaths.SiloAssembly,
        [
            "--FaceOrleans:Cluster:Mode=Redis",
            $"--FaceOrleans:Cluster:Redis={redis.ConnectionString}",
            $"--FaceOrleans:Cluster:ClusterId=probe-{Guid.NewGuid():N}",
            "--FaceOrleans:Cluster:ServiceId=faceorleans-tests",
            $"--FaceOrleans:Protection:MasterKey={Grains.Protection.MasterKeyProvider.NewKeyText()}",
            // A host name, not an IP address: this stopped every silo with "An invalid IP address was specified".
            "--FaceOrleans:Cluster:AdvertisedAddress=localhost",
            $"--FaceOrleans:Cluster:SiloPort={RealHosts.FreePort().ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:GatewayPort={RealHosts.FreePort().ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:LivenessFile={LivenessFile}",
            $"--FaceOrleans:Models:Directory={TestPaths.ModelsDirectory}",
            "--FaceOrleans:Slice:Id=probe-1",
            "--FaceOrleans:Slice:Tenants=attendance",
            "--FaceOrleans:Slice:IntraOpThreads=1",
        ], _folder.FullName);

        var live = await silo.WaitForAsync(async () => await Probe() is { ExitCode: 0 } result ? result : null, TimeSpan.FromMinutes(3), "the probe never passed");
        Assert.StartsWith("live: ", live.Stdout, StringComparison.Ordinal);
        Assert.Contains(" active at ", live.Stdout, StringComparison.Ordinal);

        // SIGKILL leaves the file behind: the probe fails once it is older than the limit (the silo rewrites it every 5 s).
        await silo.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var stale = await Probe("--max-age", "2");
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("was last written", stale.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clean_stop_removes_the_file_so_the_probe_fails_at_once()
    {
        await using var silo = ServerProcess.Start(TestPaths.SiloAssembly,
        [
            $"--FaceOrleans:Cluster:ClusterId=probe-{Guid.NewGuid():N}",
            $"--FaceOrleans:Cluster:SiloPort={RealHosts.FreePort().ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:GatewayPort={RealHosts.FreePort().ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:StoragePath={Path.Combine(_folder.FullName, "state.db")}",
            $"--FaceOrleans:Cluster:LivenessFile={LivenessFile}",
            $"--FaceOrleans:Models:Directory={TestPaths.ModelsDirectory}",
            "--FaceOrleans:Slice:IntraOpThreads=1",
        ], _folder.FullName);
        await silo.WaitForAsync(async () => await Probe() is { ExitCode: 0 } result ? result : null, TimeSpan.FromMinutes(3), "the probe never passed");

        await silo.StopAsync();

        var gone = await Probe();
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("does not exist", gone.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_liveness_file_configured_the_probe_says_so()
    {
        var result = await TestProcess.RunSiloAsync(["probe"], _folder.FullName);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("FaceOrleans:Cluster:LivenessFile", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Delete(recursive: true);

    private Task<TestProcess.Result> Probe(params string[] more) =>
        TestProcess.RunSiloAsync(["probe", "--file", LivenessFile, .. more], _folder.FullName);
}
