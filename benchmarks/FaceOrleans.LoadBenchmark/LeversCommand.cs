using System.Diagnostics;
using System.Globalization;
using FaceOrleans.Benchmarks;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Silo;
using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.LoadBenchmark;

/// <summary>
/// Each cost lever of a compare as a pipeline variant, all in this one process and measured in alternating blocks,
/// so that a noisy machine slows every variant alike and the ratios to the baseline hold. Prints CPU ms and wall ms
/// per compare at one and at two callers, and each variant's accuracy on all the shared pairs at the default threshold.
/// </summary>
internal sealed class LeversCommand(int? pairLimit, int rounds, string? only)
{
    private const int BlockPairs = 24;

    public async Task<int> RunAsync()
    {
        var workload = Workload.Load(pairLimit);
        var catalog = ModelCatalog.Locate(BenchmarkPaths.ModelsDirectory);
        var defaults = new SliceOptions().ToInferenceOptions();
        var factories = new Dictionary<string, OnnxSessionFactory>(StringComparer.Ordinal);
        OnnxSessionFactory Sessions(string name, Action<InferenceOptions> configure)
        {
            if (!factories.TryGetValue(name, out var factory))
            {
                var options = new SliceOptions().ToInferenceOptions();
                configure(options);
                factories[name] = factory = new OnnxSessionFactory(catalog, options);
            }

            return factory;
        }

        try
        {
            var standard = Sessions("default", _ => { });
            var letterbox = Letterboxed(standard);
            // Before this change large JPEGs were decoded down to 1920 px at most; now compare goes down to 960.
            var shipped = new DetectionSides(640, 480);
            var defaultsOf = FacePipeline.Create(standard).ModelDefaults;
            var detailed = defaultsOf with { Limits = ImageLimits.Default.FullDetail };
            var down1280 = defaultsOf with { Limits = ImageLimits.Default with { MinWorkingSide = 1280 } };
            var down720 = defaultsOf with { Limits = ImageLimits.Default with { MinWorkingSide = 720 } };
            var down480 = defaultsOf with { Limits = ImageLimits.Default with { MinWorkingSide = 480 } };
            var variants = new List<Variant>
            {
                new("before: 640x640 letterbox, 1920 px decode", new FacePipeline(letterbox, Recognizer(standard), InlineModelRunner.Instance), detailed),
                new("aspect-preserving 640", FacePipeline.Create(standard, sides: new DetectionSides(640, 640)), detailed),
                new("aspect 640, prominent face at 480 first", FacePipeline.Create(standard, sides: shipped), detailed),
                new("aspect 640, prominent face at 320 first", FacePipeline.Create(standard, sides: new DetectionSides(640, 320)), detailed),
                new("480 first, JPEG decoded down to 1280", FacePipeline.Create(standard, sides: shipped), down1280),
                new("480 first, JPEG decoded down to 960 (shipped)", FacePipeline.Create(standard, sides: shipped), defaultsOf),
                new("480 first, JPEG decoded down to 720", FacePipeline.Create(standard, sides: shipped), down720),
                new("480 first, JPEG decoded down to 480", FacePipeline.Create(standard, sides: shipped), down480),
                new("shipped, spinning off", FacePipeline.Create(Sessions("no-spin", o => o.AllowSpinning = false), sides: shipped), defaultsOf),
                new("shipped, spinning off, memory pattern off",
                    FacePipeline.Create(Sessions("no-spin-no-pattern", o => { o.AllowSpinning = false; o.EnableMemoryPattern = false; }), sides: shipped), defaultsOf),
                new("shipped, spinning off, 1 intra-op thread",
                    FacePipeline.Create(Sessions("no-spin-1-thread", o => { o.AllowSpinning = false; o.IntraOpThreads = 1; }), sides: shipped), defaultsOf),
            };

            if (only is not null)
            {
                // The baseline stays: every ratio is to it.
                variants = variants.Where((v, i) => i == 0 || v.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();
            }

            Console.WriteLine($"{workload.Pairs.Count} pairs; {rounds} rounds of {BlockPairs} compares per variant and concurrency, variants alternating; " +
                $"{Environment.ProcessorCount} cores; defaults: intra-op threads {defaults.IntraOpThreads} (0 = one per core), spinning {defaults.AllowSpinning}, memory pattern {defaults.EnableMemoryPattern}.");
            if (only is null)
            {
                DecodeBreakdown();
                StageBreakdown(variants[5].Pipeline, workload);
            }

            foreach (var variant in variants)
            {
                await variant.WarmUpAsync(workload);
            }

            for (var round = 0; round < rounds; round++)
            {
                var block = workload.Cycle(BlockPairs, round * BlockPairs);
                foreach (var variant in round % 2 == 0 ? variants : Enumerable.Reverse(variants))
                {
                    await variant.MeasureAsync(block, workload);
                }
            }

            Console.WriteLine();
            Console.WriteLine("| variant | CPU ms per compare, 1 caller | vs before | wall ms (p50), 1 caller | CPU ms per compare, 2 callers | vs before | compares/s, 2 callers | vs before | accuracy at the default threshold | ROC AUC |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            var before = variants[0];
            foreach (var variant in variants)
            {
                var report = await variant.AccuracyAsync(workload);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {variant.Name} | {variant.CpuMs(1):0.0} | {variant.CpuMs(1) / before.CpuMs(1):P0} | {variant.WallP50(1):0} " +
                    $"| {variant.CpuMs(2):0.0} | {variant.CpuMs(2) / before.CpuMs(2):P0} | {variant.PerSecond(2):0.0} | {variant.PerSecond(2) / before.PerSecond(2):P0} " +
                    $"| {report.AccuracyAtThreshold:P2} ({report.PairsWithoutFace} pairs without a face) | {report.RocAuc:0.0000} |"));
            }
        }
        finally
        {
            foreach (var factory in factories.Values)
            {
                factory.Dispose();
            }
        }

        return 0;
    }

    /// <summary>The default detector as it ran before aspect-preserving input: every image letterboxed into 640x640.</summary>
    private static RetinaFaceDetector Letterboxed(OnnxSessionFactory sessions)
    {
        var model = sessions.Catalog.Get(sessions.Catalog.Manifest.Defaults.Detector);
        var square = model with { Input = model.Input with { DynamicSize = false } };
        var path = sessions.Catalog.VerifiedPathOf(model);
        var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        return new RetinaFaceDetector(new ModelSession(square, path, session, "CPU", sessions.Runs), sessions.Options.MaxBatchSize);
    }

    private static FaceRecognizer Recognizer(OnnxSessionFactory sessions) =>
        sessions.Recognizer(sessions.Catalog.Manifest.Defaults.Recognizer);

    /// <summary>
    /// Where one compare's time goes, stage by stage on this thread, over the first pairs: the pipeline's own steps
    /// called one by one (decode, detector resize, detection on the resized image, alignment, embedding).
    /// </summary>
    private static void StageBreakdown(FacePipeline pipeline, Workload workload)
    {
        var stages = new[] { "decode", "resize for detection", "detection (pack, run, decode, NMS)", "alignment", "embedding (pack, run)" };
        var totals = new double[stages.Length];
        var pairs = workload.Pairs.Take(60).ToArray();
        var cpuBefore = ProcessTreeCpu.ThisProcess();
        foreach (var name in pairs.SelectMany(p => new[] { p.ImageA, p.ImageB }))
        {
            var clock = Stopwatch.StartNew();
            using var decoded = ImageDecoder.Decode(workload.Photo(name), ImageLimits.Default);
            totals[0] += clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            // The stages of RetinaFace's own preparation, timed one by one.
            var detector = (RetinaFaceDetector)pipeline.Detector;
            var fit = detector.Fit(decoded.Bgr.Width, decoded.Bgr.Height, pipeline.ProminentFaceSide);
            using var resized = new Mat();
            Cv2.Resize(decoded.Bgr, resized, new Size(fit.Width, fit.Height), 0, 0, fit.Scale < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);
            totals[1] += clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            var faces = detector.Detect([resized], detector.DefaultScoreThreshold, pipeline.ProminentFaceSide)[0];
            totals[2] += clock.Elapsed.TotalMilliseconds;
            var face = DetectedFace.MostProminent(faces);
            if (face is null)
            {
                continue;
            }

            clock.Restart();
            var scaled = face.Scale(1 / fit.Scale);
            using var crop = FaceAligner.Align(decoded.Bgr, scaled.Landmarks, pipeline.Recognizer.InputWidth, pipeline.Recognizer.InputHeight);
            totals[3] += clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            _ = pipeline.Recognizer.Embed([crop]);
            totals[4] += clock.Elapsed.TotalMilliseconds;
        }

        var cpu = (ProcessTreeCpu.ThisProcess() - cpuBefore).TotalMilliseconds / pairs.Length;
        Console.WriteLine();
        Console.WriteLine($"Where a compare's time goes (wall ms per compare, i.e. for both images, mean over the first {pairs.Length} pairs, " +
            $"prominent-face side {pipeline.ProminentFaceSide}, one caller; CPU {cpu:0.0} ms per compare in all):");
        Console.WriteLine();
        Console.WriteLine("| " + string.Join(" | ", stages) + " | total |");
        Console.WriteLine("|" + string.Concat(Enumerable.Repeat("---:|", stages.Length + 1)));
        Console.WriteLine("| " + string.Join(" | ", totals.Select(t => (t / pairs.Length).ToString("0.0", CultureInfo.InvariantCulture))) +
            $" | {(totals.Sum() / pairs.Length).ToString("0.0", CultureInfo.InvariantCulture)} |");
    }

    /// <summary>Where decoding spends its time on the largest photos: median ms of each step, on this thread.</summary>
    private static void DecodeBreakdown()
    {
        Console.WriteLine();
        Console.WriteLine("| photo | size | header | full decode | decode at 1/2 | decode at 1/4 | ImageDecoder (working side 1920) | decoded down to 1280 | down to 960 | resize working image → 480 |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var name in new[] { "img40.jpg", "img49.jpg", "img1.jpg", "img26.jpg" })
        {
            var bytes = BenchmarkPaths.ReadPhoto(name);
            var header = ImageHeader.Read(bytes);
            using var working = ImageDecoder.Decode(bytes, ImageLimits.Default.FullDetail);
            var cells = new[]
            {
                Median(() => ImageHeader.Read(bytes)),
                Median(() => Cv2.ImDecode(bytes, ImreadModes.Color).Dispose()),
                Median(() => Cv2.ImDecode(bytes, ImreadModes.ReducedColor2).Dispose()),
                Median(() => Cv2.ImDecode(bytes, ImreadModes.ReducedColor4).Dispose()),
                Median(() => ImageDecoder.Decode(bytes, ImageLimits.Default.FullDetail).Dispose()),
                Median(() => ImageDecoder.Decode(bytes, ImageLimits.Default with { MinWorkingSide = 1280 }).Dispose()),
                Median(() => ImageDecoder.Decode(bytes, ImageLimits.Default with { MinWorkingSide = 960 }).Dispose()),
                Median(() =>
                {
                    using var small = new Mat();
                    var f = 480.0 / Math.Max(working.Bgr.Width, working.Bgr.Height);
                    Cv2.Resize(working.Bgr, small, new Size(0, 0), f, f, InterpolationFlags.Area);
                }),
            };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {header.Width}x{header.Height}, {bytes.Length / 1024} KB | {string.Join(" | ", cells.Select(c => c.ToString("0.0", CultureInfo.InvariantCulture)))} |"));
        }
    }

    private static double Median(Action step)
    {
        step();
        var times = new double[9];
        for (var i = 0; i < times.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            step();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return times.Order().ElementAt(times.Length / 2);
    }

    private sealed class Variant(string name, FacePipeline pipeline, FaceOptions options)
    {
        private readonly Dictionary<int, List<RunResult>> _runs = new() { [1] = [], [2] = [] };

        public string Name => name;

        public FacePipeline Pipeline => pipeline;

        public async Task WarmUpAsync(Workload workload) =>
            await Driver.RunAsync(workload.Pairs.Take(6).ToArray(), 2, pair => CompareAsync(workload, pair), null);

        public async Task MeasureAsync(IReadOnlyList<LabelledPair> block, Workload workload)
        {
            foreach (var callers in _runs.Keys)
            {
                _runs[callers].Add(await Driver.RunAsync(block, callers, pair => CompareAsync(workload, pair), ProcessTreeCpu.ThisProcess));
            }
        }

        public double CpuMs(int callers) => _runs[callers].Sum(r => r.Cpu!.Value.TotalMilliseconds) / _runs[callers].Sum(r => r.Requests);

        public double PerSecond(int callers) => _runs[callers].Sum(r => r.Requests) / _runs[callers].Sum(r => r.Wall.TotalSeconds);

        public double WallP50(int callers) =>
            new RunResult(0, 0, TimeSpan.Zero, _runs[callers].SelectMany(r => r.LatenciesMs).ToArray(), null).Percentile(0.5);

        public async Task<CalibrationReport> AccuracyAsync(Workload workload)
        {
            var (scored, noFace) = await PairScorer.ScoreAsync(pipeline, workload.Pairs, BenchmarkPaths.FacesDirectory, options);
            return Calibration.Evaluate(pipeline.Recognizer.ModelName, scored, pipeline.Recognizer.DefaultThreshold, noFace);
        }

        private async Task<bool> CompareAsync(Workload workload, LabelledPair pair)
        {
            var result = await Task.Run(() => pipeline.CompareAsync(workload.Photo(pair.ImageA), workload.Photo(pair.ImageB), options));
            return result.Similarity is not null;
        }
    }
}
