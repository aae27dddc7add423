namespace FaceOrleans.Tests;

/// <summary>Where the repository, its models and the shared photos are; a missing prerequisite fails loudly.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ModelsDirectory => Path.Combine(RepoRoot, "models");

    public static string SharedDirectory
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("FACEORLEANS_SHARED") ?? Path.Combine(RepoRoot, "..", "shared");
            return Directory.Exists(dir)
                ? Path.GetFullPath(dir)
                : throw new InvalidOperationException(
                    $"The shared test data folder '{Path.GetFullPath(dir)}' does not exist. Put the shared/ folder beside the repository " +
                    "(or set FACEORLEANS_SHARED) and run 'python3 models/provision.py'.");
        }
    }

    public static string FacesDirectory => Path.Combine(SharedDirectory, "testdata", "faces");

    public static string PairsCsv => Path.Combine(FacesDirectory, "pairs.csv");

    /// <summary>
    /// The silo executable in its own build output (same configuration as the tests), run as a user runs it;
    /// the test folder's copy resolves ASP.NET assemblies through the web project's framework instead.
    /// </summary>
    public static string SiloAssembly => BuildOutput("Silo", "FaceOrleans.Silo.dll");

    /// <summary>The client-only API executable (the cluster modes' front end) in its own build output, with its appsettings.json and wwwroot beside it.</summary>
    public static string ApiAssembly => BuildOutput("Api", "FaceOrleans.Api.dll");

    /// <summary>The silo's command that runs the embedded default (the API and one silo in one process), as <c>scripts/run.sh</c> does.</summary>
    public const string EmbeddedCommand = "embedded";

    /// <summary>Where tests leave files for people to look at (screenshots): TestResults/ at the repository root, git-ignored.</summary>
    public static string ArtefactsDirectory => Directory.CreateDirectory(Path.Combine(RepoRoot, "TestResults")).FullName;

    public static byte[] Photo(string name) => File.ReadAllBytes(Path.Combine(FacesDirectory, name));

    private static string BuildOutput(string project, string assembly)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(RepoRoot, project, "bin", configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new InvalidOperationException($"Build {project} first: {path} does not exist.");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaceOrleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FaceOrleans.sln not found above " + AppContext.BaseDirectory);
    }
}
