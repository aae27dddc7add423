namespace FaceOrleans.Benchmarks;

/// <summary>
/// Where the models and the test photos are. The parent process resolves them from the repository root
/// (the folder holding FaceOrleans.sln) and exports them; the benchmark child process reads them back.
/// Both variables may also be set by hand to benchmark other models or photos.
/// </summary>
public static class BenchmarkPaths
{
    public const string ModelsVariable = "FACEORLEANS_MODELS";
    public const string FacesVariable = "FACEORLEANS_FACES";

    /// <summary>Why the benchmark classes own disposable fields without implementing IDisposable.</summary>
    internal const string CleanupJustification =
        "BenchmarkDotNet creates the instance, calls [GlobalSetup] and disposes everything in [GlobalCleanup].";

    private const string SolutionFile = "FaceOrleans.sln";

    /// <summary>The folder holding models/manifest.json and the .onnx files.</summary>
    public static string ModelsDirectory =>
        FromEnvironment(ModelsVariable) ?? Path.Combine(RepositoryRoot(), "models");

    /// <summary>The folder holding the test photos (../shared/testdata/faces from the repository root).</summary>
    public static string FacesDirectory =>
        FromEnvironment(FacesVariable) ?? Path.GetFullPath(Path.Combine(RepositoryRoot(), "..", "shared", "testdata", "faces"));

    /// <summary>Sets both variables for child processes unless the caller already set them.</summary>
    public static void Export()
    {
        Environment.SetEnvironmentVariable(ModelsVariable, ModelsDirectory);
        Environment.SetEnvironmentVariable(FacesVariable, FacesDirectory);
    }

    public static byte[] ReadPhoto(string fileName)
    {
        var path = Path.Combine(FacesDirectory, fileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Test photo '{path}' not found; set {FacesVariable} to the folder holding the test photos.", path);
        }

        return File.ReadAllBytes(path);
    }

    private static string? FromEnvironment(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>The folder holding FaceOrleans.sln, above the executable or the working directory.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException(
            $"No {SolutionFile} above '{AppContext.BaseDirectory}'; set {ModelsVariable} and {FacesVariable}.");
    }
}
