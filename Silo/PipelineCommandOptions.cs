using System.CommandLine;
using System.Text.Json;
using FaceOrleans.Vision;

namespace FaceOrleans.Silo;

/// <summary>The options every command that runs the models takes: which models, from where, and how to print.</summary>
internal sealed class PipelineCommandOptions
{
    public static readonly JsonSerializerOptions JsonOutput = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public Option<string?> Detector { get; } = new("--detector") { Description = "Detector from models/manifest.json (default: the manifest's default)" };

    public Option<string?> Recognizer { get; } = new("--recognizer") { Description = "Recognizer from models/manifest.json (default: the manifest's default)" };

    public Option<string?> Models { get; } = new("--models") { Description = "Folder with manifest.json and the model files (default: the nearest models/ above the working directory or this program)" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the report as JSON" };

    public void AddTo(Command command)
    {
        command.Options.Add(Detector);
        command.Options.Add(Recognizer);
        command.Options.Add(Models);
        command.Options.Add(Json);
    }

    /// <summary>
    /// Sessions on one device. A CUDA device is required, never replaced by the CPU: a measurement of the wrong
    /// provider is worse than none.
    /// </summary>
    public OnnxSessionFactory Sessions(ParseResult parse, string device, bool useCpuForms = true)
    {
        if (!(device is "cpu" or "cuda" || (device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device.AsSpan(5), out _))))
        {
            throw new FormatException($"device '{device}' must be cpu, cuda or cuda:N.");
        }

        var options = new InferenceOptions { Device = device, UseCpuForms = useCpuForms };
        options.RequireGpu = options.WantsCuda;
        return new OnnxSessionFactory(ModelCatalog.Locate(parse.GetValue(Models)), options);
    }

    public FacePipeline Pipeline(ParseResult parse, OnnxSessionFactory sessions) =>
        FacePipeline.Create(sessions, parse.GetValue(Detector), parse.GetValue(Recognizer));

    /// <summary>The detector and recognizer asked for, or the manifest's defaults.</summary>
    public (string Detector, string Recognizer) ModelNames(ParseResult parse, OnnxSessionFactory sessions)
    {
        var defaults = sessions.Catalog.Manifest.Defaults;
        return (parse.GetValue(Detector) is { Length: > 0 } detector ? detector : defaults.Detector,
            parse.GetValue(Recognizer) is { Length: > 0 } recognizer ? recognizer : defaults.Recognizer);
    }

    /// <summary>A required <c>--images</c> folder of photos.</summary>
    public static Option<DirectoryInfo> ImagesOption() => new("--images") { Description = "Folder of photos (JPEG or PNG)", Required = true };

    /// <summary>The folder <paramref name="option"/> names; a missing one is a one-line error, as every input problem is.</summary>
    public static DirectoryInfo ExistingFolder(ParseResult parse, Option<DirectoryInfo> option)
    {
        var folder = parse.GetRequiredValue(option);
        return folder.Exists ? folder : throw new FileNotFoundException($"The images folder '{folder.FullName}' does not exist.");
    }

    /// <summary>Runs a command's work; a model, input or argument problem becomes one line on stderr and exit code 1.</summary>
    public static async Task<int> ReportingErrorsAsync(Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception ex) when (ex is ModelUnavailableException or FormatException or RequestRejectedException or FileNotFoundException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }

    public void Print<T>(ParseResult parse, T report, Func<T, string> table) =>
        Console.WriteLine(parse.GetValue(Json) ? JsonSerializer.Serialize(report, JsonOutput) : table(report));
}
