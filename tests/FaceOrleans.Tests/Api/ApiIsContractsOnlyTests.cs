using System.Text.Json;
using System.Xml.Linq;
using FaceOrleans.Api.Hosting;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The HTTP front end depends on the contracts alone (Grains.Interfaces, Vision.Abstractions through them) and is an
/// Orleans client, never a silo: no route can call a grain class or the pipeline, and the API process carries no ONNX
/// Runtime, OpenCV or Orleans server. The embedded default hosts it beside a silo from the Silo project instead.
/// These checks read the built assembly, what the build ships beside it and the project file.
/// </summary>
public sealed class ApiIsContractsOnlyTests
{
    /// <summary>Assemblies and packages of the implementation: the grains, the pipeline, its native engines, the Orleans silo.</summary>
    private static readonly string[] Implementation =
        ["FaceOrleans.Grains", "FaceOrleans.Vision", "Microsoft.ML.OnnxRuntime", "OpenCvSharp", "Orleans.Runtime", "Orleans.Server", "Microsoft.Orleans.Server"];

    private static bool IsImplementation(string name) =>
        Implementation.Any(i => string.Equals(name, i, StringComparison.OrdinalIgnoreCase)
            || (name.StartsWith(i + ".", StringComparison.OrdinalIgnoreCase) && !IsContract(name))
            || (i is "OpenCvSharp" && name.StartsWith(i, StringComparison.OrdinalIgnoreCase)));

    private static bool IsContract(string name) =>
        name is "FaceOrleans.Grains.Interfaces" or "FaceOrleans.Vision.Abstractions";

    [Fact]
    public void The_api_assembly_references_no_implementation_assembly()
    {
        var referenced = typeof(ApiOptions).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        // The list is real: the contracts and the Orleans client's own assemblies are on it.
        Assert.Contains("FaceOrleans.Grains.Interfaces", referenced);
        Assert.Contains("FaceOrleans.Vision.Abstractions", referenced);
        Assert.Contains("Orleans.Core", referenced);
        var offenders = referenced.Where(IsImplementation).ToArray();
        Assert.True(offenders.Length == 0, $"FaceOrleans.Api references {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_api_build_ships_no_implementation_library()
    {
        // What the API process loads, as its build lists it: the project and package closure in FaceOrleans.Api.deps.json.
        // Microsoft.Orleans.Runtime is there (Orleans.Clustering.Redis, which finds a cluster's gateways, depends on it for
        // its silo half) and is allowed: the API assembly itself never references it (the test above).
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(TestPaths.ApiAssembly, ".deps.json")));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name[..l.Name.IndexOf('/', StringComparison.Ordinal)]).ToArray();

        Assert.Contains("FaceOrleans.Grains.Interfaces", libraries);
        Assert.Contains("Microsoft.Orleans.Core", libraries);
        var offenders = libraries.Where(l => l != "Microsoft.Orleans.Runtime" && IsImplementation(l)).ToArray();
        Assert.True(offenders.Length == 0, $"FaceOrleans.Api ships {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_api_project_references_the_contracts_project_and_the_orleans_client_only()
    {
        var project = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "Api", "FaceOrleans.Api.csproj"));
        string[] Includes(string item) => project.Descendants(item).Select(e => (string)e.Attribute("Include")!).ToArray();

        Assert.Equal([@"..\Grains.Interfaces\FaceOrleans.Grains.Interfaces.csproj"], Includes("ProjectReference"));
        var packages = Includes("PackageReference");
        Assert.Contains("Microsoft.Orleans.Client", packages);
        var offenders = packages.Where(p => IsImplementation(p) || p == "Microsoft.Orleans.Sdk").ToArray();
        Assert.True(offenders.Length == 0, $"Api/FaceOrleans.Api.csproj asks for {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_vision_abstractions_depend_on_nothing_but_dotnet()
    {
        // The contracts reach the API through this assembly, so it must not bring a package of its own.
        var referenced = typeof(RejectionCode).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        var project = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "Vision.Abstractions", "FaceOrleans.Vision.Abstractions.csproj"));

        Assert.Equal("FaceOrleans.Vision.Abstractions", typeof(RejectionCode).Assembly.GetName().Name);
        Assert.Contains("System.Runtime", referenced);
        Assert.All(referenced, name => Assert.StartsWith("System", name, StringComparison.Ordinal));
        Assert.Empty(project.Descendants("PackageReference"));
        Assert.Empty(project.Descendants("ProjectReference"));
    }
}
