using System.CommandLine;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;

namespace FaceOrleans.Silo;

/// <summary>
/// <c>calibrate --pairs FILE.csv --images DIR [--recognizer NAME] [--json]</c>: runs the real pipeline over
/// labelled pairs so a user can pick the similarity threshold for their own cameras. With
/// <c>--conditions LIST</c> it forms every pair of the photos instead (people from the same-person pairs) and
/// scores a clean gallery photo against degraded probes in each capture condition, choosing the 1:1 threshold at
/// <c>--far</c> and the 1:N one at <c>--identification-far</c>.
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
        var conditions = new Option<string?>("--conditions")
        {
            Description = "Score every pair of photos in these capture conditions (comma-separated, or 'all': " +
                string.Join(", ", CaptureCondition.Standard.Select(c => c.Name)) + ") and choose the threshold whose worst accuracy is highest within the --far bound",
        };
        var far = new Option<double>("--far")
        {
            Description = "With --conditions: the false accept rate the chosen (1:1) threshold must hold in every condition",
            DefaultValueFactory = _ => ConditionCalibration.DefaultFar,
        };
        var identificationFar = new Option<double>("--identification-far")
        {
            Description = "With --conditions: the tighter false accept rate the 1:N (identification) threshold must hold in every condition",
            DefaultValueFactory = _ => ConditionCalibration.DefaultIdentificationFar,
        };

        var command = new Command("calibrate", "Measure accuracy, the best threshold, ROC AUC and TAR@FAR=1e-3 on labelled pairs")
        {
            pairs, images, threshold, conditions, far, identificationFar,
        };
        shared.AddTo(command);
        command.SetAction(parse => RunAsync(
            shared, parse, parse.GetRequiredValue(pairs), parse.GetRequiredValue(images), parse.GetValue(threshold), parse.GetValue(conditions),
            (parse.GetValue(far), parse.GetValue(identificationFar))));
        return command;
    }

    private static async Task<int> RunAsync(
        PipelineCommandOptions shared, ParseResult parse, FileInfo pairsFile, DirectoryInfo imagesDir, float? threshold, string? conditions,
        (double OneToOne, double Identification) far)
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
            if (conditions is not null)
            {
                var identities = PhotoIdentities.FromPairs(pairs);
                var scores = await ConditionEvaluator.ScoreAsync(pipeline, identities, imagesDir.FullName, CaptureCondition.Parse(conditions));
                var conditionReport = ConditionCalibration.Evaluate(
                    pipeline.Recognizer.ModelName, identities, scores, threshold ?? pipeline.Recognizer.DefaultThreshold, far.OneToOne, far.Identification);
                shared.Print(parse, conditionReport, r => r.ToTable());
                return 0;
            }

            var (scored, noFace) = await PairScorer.ScoreAsync(pipeline, pairs, imagesDir.FullName);
            var report = Calibration.Evaluate(pipeline.Recognizer.ModelName, scored, threshold ?? pipeline.Recognizer.DefaultThreshold, noFace);
            shared.Print(parse, report, r => r.ToTable());
            return 0;
        });
    }
}
