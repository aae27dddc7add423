using System.Text.RegularExpressions;

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

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Each_dockerfiles_restore_layer_copies_every_project_its_apps_reference(string name)
    {
        var copied = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "docker", name))
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && l.Contains(".csproj", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[1]).ToHashSet(StringComparer.Ordinal);

        // A project added to the apps' references but not to the layer fails the image's restore, which only CI's
        // smoke test (and only for the CPU image) would show.
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(name == "Dockerfile" ? ["Api/FaceOrleans.Api.csproj", "Silo/FaceOrleans.Silo.csproj"] : ["Silo/FaceOrleans.Silo.csproj"]);
        while (pending.TryPop(out var project))
        {
            if (!needed.Add(project))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(project)!;
            foreach (Match reference in Regex.Matches(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, project)), @"ProjectReference Include=""([^""]+)"""))
            {
                var path = Path.GetRelativePath(TestPaths.RepoRoot, Path.GetFullPath(Path.Combine(TestPaths.RepoRoot, folder, reference.Groups[1].Value.Replace('\\', '/'))));
                pending.Push(path.Replace('\\', '/'));
            }
        }

        Assert.Superset(needed, copied);
    }
}
