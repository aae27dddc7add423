namespace FaceOrleans.Tests;

/// <summary>
/// What CI cannot build, kept in step with what it can: the GPU image's base is not reachable from CI's machines, so
/// scripts/container-smoke.sh builds and runs only docker/Dockerfile. Both must install the one package list and fail
/// their build on an unresolved native library, so a package the CPU image proves missing is added to both.
/// </summary>
public sealed class ContainerFilesTests
{
    public static TheoryData<string> Dockerfiles => new() { "Dockerfile", "Dockerfile.gpu" };

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Each_dockerfile_installs_the_shared_package_list_and_checks_every_native_library(string name)
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "docker", name));

        Assert.Contains(lines, l => l.StartsWith("COPY docker/runtime-packages.txt docker/check-natives.sh ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("grep -v '^#' /usr/local/share/faceorleans/runtime-packages.txt", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("RUN sh /usr/local/share/faceorleans/check-natives.sh /app", StringComparison.Ordinal));
        // Nothing else installs a library by name that the list should carry (the GPU image adds only .NET's own).
        var extra = lines.Where(l => l.Contains("apt-get install", StringComparison.Ordinal) && !l.Contains("xargs apt-get install", StringComparison.Ordinal));
        Assert.Empty(extra);
    }

    [Fact]
    public void The_package_list_names_the_libraries_opencv_needs_beyond_gtk()
    {
        var packages = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "docker", "runtime-packages.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

        // Without them the CPU image died loading OpenCvSharpExtern (libdrm.so.2, then libatomic.so.1 on noble).
        Assert.Superset(new HashSet<string>(["libgtk-3-0t64", "libdrm2", "libatomic1"]), packages.ToHashSet());
    }
}
