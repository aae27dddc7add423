using System.Text.RegularExpressions;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

/// <summary>The face pipeline must stay usable, testable and benchmarkable without Orleans: the compiler and these checks keep it so.</summary>
public sealed partial class VisionIsOrleansFreeTests
{
    private static string VisionDirectory => Path.Combine(TestPaths.RepoRoot, "Vision");

    [Fact]
    public void The_vision_assembly_references_no_orleans_assembly()
    {
        var referenced = typeof(FacePipeline).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        // The list is real: the pipeline's own dependencies are on it.
        Assert.Contains("Microsoft.ML.OnnxRuntime", referenced);
        Assert.Contains("OpenCvSharp", referenced);
        Assert.DoesNotContain(referenced, name => name.Contains("Orleans", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("FaceOrleans", StringComparison.Ordinal));
    }

    [Fact]
    public void The_vision_project_asks_for_no_orleans_package_or_project()
    {
        var project = File.ReadAllText(Path.Combine(VisionDirectory, "FaceOrleans.Vision.csproj"));

        Assert.Contains("Microsoft.ML.OnnxRuntime", project, StringComparison.Ordinal);
        Assert.DoesNotMatch(OrleansReference(), project);
    }

    [Fact]
    public void No_vision_source_file_uses_an_orleans_namespace()
    {
        var files = Directory.GetFiles(VisionDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();

        Assert.Contains(files, f => Path.GetFileName(f) == "FacePipeline.cs");
        var offenders = files.Where(f => OrleansNamespace().IsMatch(File.ReadAllText(f))).Select(Path.GetFileName).ToArray();
        Assert.True(offenders.Length == 0, $"Orleans used in: {string.Join(", ", offenders)}");
    }

    [GeneratedRegex(@"Include=""(Microsoft\.Orleans[^""]*|[^""]*Grains[^""]*)""")]
    private static partial Regex OrleansReference();

    /// <summary>A using of, or a qualified name in, an Orleans namespace (FaceOrleans.* does not match).</summary>
    [GeneratedRegex(@"(\busing\s+(static\s+)?(global::)?Orleans\b)|(\bglobal::Orleans\b)|((?<![A-Za-z0-9_.])Orleans\.[A-Z])")]
    private static partial Regex OrleansNamespace();
}
