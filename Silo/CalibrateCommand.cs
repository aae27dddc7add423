using System.CommandLine;
using System.Text.Json;
using FaceOrleans.Vision;

namespace FaceOrleans.Silo;

/// <summary>
/// <c>calibrate --pairs FILE.csv --images DIR [--recognizer NAME] [--json]</c>: runs the real pipeline over
/// labelled pairs so a user can pick the similarity threshold for their own cameras.
/// </summary>
internal static class CalibrateCommand
{
    private static readonly JsonSerializerOptions JsonOutput = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var pairs = new Option<FileInfo>("--pairs")
        {
            Description = "CSV with the header image_a,image_b,same_person (1 or 0)",
            Required = true,
        };
        var images = new Option<DirectoryInfo>("--images")
        {
            Description = "Folder holding the images the CSV names",
            Required = true,
        };
        var recognizer = new Option<string?>("--recognizer") { Description = "Recognizer from models/manifest.json (default: the manifest's default)" };
        var detector = new Option<string?>("--detector") { Description = "Detector from models/manifest.json (default: the manifest's default)" };
        var threshold = new Option<float?>("--threshold") { Description = "Similarity threshold to report accuracy at (default: the recognizer's)" };
        var modelsDir = new Option<string?>("--models") { Description = "Folder with manifest.json and the model files (default: the repository's models/)" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };

        var command = new Command("calibrate", "Measure accuracy, the best threshold, ROC AUC and TAR@FAR=1e-3 on labelled pairs")
        {
            pairs, images, recognizer, detector, threshold, modelsDir, json,
        };
        command.SetAction(parse => RunAsync(
            parse.GetRequiredValue(pairs),
            parse.GetRequiredValue(images),
            parse.GetValue(recognizer),
            parse.GetValue(detector),
            parse.GetValue(threshold),
            parse.GetValue(modelsDir),
            parse.GetValue(json)));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo pairsFile, DirectoryInfo imagesDir, string? recognizer, string? detector, float? threshold, string? modelsDir, bool json)
    {
        if (!pairsFile.Exists || !imagesDir.Exists)
        {
            Console.Error.WriteLine($"error: {(pairsFile.Exists ? $"images folder '{imagesDir.FullName}'" : $"pairs file '{pairsFile.FullName}'")} does not exist.");
            return 2;
        }

        try
        {
            using var sessions = new OnnxSessionFactory(ModelCatalog.Locate(modelsDir), new InferenceOptions());
            var pipeline = FacePipeline.Create(sessions, detector, recognizer);
            var pairs = LabelledPair.ReadCsv(pairsFile.FullName);
            var (scored, noFace) = await PairScorer.ScoreAsync(pipeline, pairs, imagesDir.FullName);
            var report = Calibration.Evaluate(pipeline.Recognizer.ModelName, scored, threshold ?? pipeline.Recognizer.DefaultThreshold, noFace);
            Console.WriteLine(json
                ? JsonSerializer.Serialize(report, JsonOutput)
                : report.ToTable());
            return 0;
        }
        catch (Exception ex) when (ex is ModelUnavailableException or FormatException or RequestRejectedException or FileNotFoundException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}
