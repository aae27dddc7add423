using System.CommandLine;
using FaceOrleans.Vision;

namespace FaceOrleans.Silo;

/// <summary>
/// <c>calibrate --pairs FILE.csv --images DIR [--recognizer NAME] [--json]</c>: runs the real pipeline over
/// labelled pairs so a user can pick the similarity threshold for their own cameras.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var shared = new PipelineCommandOptions();
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
        var threshold = new Option<float?>("--threshold") { Description = "Similarity threshold to report accuracy at (default: the recognizer's)" };

        var command = new Command("calibrate", "Measure accuracy, the best threshold, ROC AUC and TAR@FAR=1e-3 on labelled pairs")
        {
            pairs, images, threshold,
        };
        shared.AddTo(command);
        command.SetAction(parse => RunAsync(shared, parse, parse.GetRequiredValue(pairs), parse.GetRequiredValue(images), parse.GetValue(threshold)));
        return command;
    }

    private static async Task<int> RunAsync(PipelineCommandOptions shared, ParseResult parse, FileInfo pairsFile, DirectoryInfo imagesDir, float? threshold)
    {
        if (!pairsFile.Exists || !imagesDir.Exists)
        {
            Console.Error.WriteLine($"error: {(pairsFile.Exists ? $"images folder '{imagesDir.FullName}'" : $"pairs file '{pairsFile.FullName}'")} does not exist.");
            return 2;
        }

        return await PipelineCommandOptions.ReportingErrorsAsync(async () =>
        {
            using var sessions = shared.Sessions(parse, "cpu");
            var pipeline = shared.Pipeline(parse, sessions);
            var pairs = LabelledPair.ReadCsv(pairsFile.FullName);
            var (scored, noFace) = await PairScorer.ScoreAsync(pipeline, pairs, imagesDir.FullName);
            var report = Calibration.Evaluate(pipeline.Recognizer.ModelName, scored, threshold ?? pipeline.Recognizer.DefaultThreshold, noFace);
            shared.Print(parse, report, r => r.ToTable());
            return 0;
        });
    }
}
