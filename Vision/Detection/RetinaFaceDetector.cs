using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// RetinaFace (detection + 5 landmarks). Each image is resized to the requested long side keeping its aspect
/// ratio and padded to a multiple of the largest stride (a model with a fixed input is letterboxed into it
/// instead); the batch runs as one call, is decoded against prior boxes for that input size with the manifest's
/// variances and filtered by NMS. Only the model call (<see cref="RunBatch"/>) needs the session: preparing and
/// decoding run wherever the caller is. Owns its session. Thread-safe: ONNX Runtime sessions allow concurrent Run calls.
/// </summary>
public sealed class RetinaFaceDetector : IFaceDetector, IBatchModel<DetectorInput, DetectorOutput>
{
    private const int PreNmsTopK = 5000;
    private const int MaxFacesPerImage = 750;

    private readonly ModelSession _model;
    private readonly ModelInputSpec _input;
    private readonly DetectorSpec _spec;
    private readonly int _maxBatch;
    private readonly int _stride;

    // One set per input size; sizes are multiples of the stride up to the largest side asked for, so few.
    private readonly ConcurrentDictionary<(int Width, int Height), float[]> _priors = new();

    /// <param name="model">The detector's session; the detector takes ownership and disposes it.</param>
    /// <param name="maxBatchSize">Most images per model call; more are split into several calls.</param>
    public RetinaFaceDetector(ModelSession model, int maxBatchSize)
    {
        _model = model;
        _input = model.Model.Input;
        _spec = model.Model.Detector
            ?? throw new ModelUnavailableException(model.Model.Name, $"'{model.Model.Name}' is not a detector.");
        _maxBatch = Math.Max(1, maxBatchSize);
        _stride = _spec.Steps.Max();
    }

    public string ModelName => _model.Model.Name;

    /// <summary>The provider the session actually runs on (CPU after a CUDA fallback).</summary>
    public string ExecutionProvider => _model.ExecutionProvider;

    /// <summary>The manifest's score threshold for this model: the default a tenant's settings start from.</summary>
    public float DefaultScoreThreshold => _spec.ScoreThreshold;

    /// <summary>Overlap (IoU) above which two boxes are one face: the manifest's NMS setting, for callers merging detections.</summary>
    public float NmsIouThreshold => _spec.NmsIou;

    /// <summary>The model file runs at any multiple of <see cref="Stride"/>, so images keep their aspect ratio.</summary>
    public bool HasDynamicInput => _input.DynamicSize;

    /// <summary>The largest feature stride: a dynamic input's sides are padded to a multiple of it.</summary>
    public int Stride => _stride;

    /// <summary>Long side an image is detected at unless the caller asks for another: the model's input size.</summary>
    public int FullSide => Math.Max(_input.Width, _input.Height);

    /// <summary>The manifest's long side for requests that need only the most prominent face (null: full size).</summary>
    public int? ProminentFaceSide => _spec.ProminentFaceSide;

    /// <summary>Prior boxes (network outputs per image) for an input tensor of this size.</summary>
    public int PriorCount(int width, int height) => PriorsFor(width, height).Length / 4;

    /// <summary>
    /// Detects faces scoring above <paramref name="scoreThreshold"/> in each image on the calling thread; coordinates
    /// are in that image's pixels. <paramref name="longSide"/> is the long side each image is scaled to (default
    /// <see cref="FullSide"/>); a fixed-input model ignores it. Images that pad to the same input size run as one
    /// batch, so a batch gives the same faces as single calls. A slice runs the same three steps with only the model
    /// call in its scheduler: <see cref="Prepare"/>, <see cref="RunBatch"/>, <see cref="Decode"/>.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<DetectedFace>> Detect(IReadOnlyList<Mat> images, float scoreThreshold, int? longSide = null) =>
        // The inline runner completes on this thread: the same steps as a slice's, with the model call here.
        DetectAsync(InlineModelRunner.Instance, images, scoreThreshold, longSide ?? FullSide).GetAwaiter().GetResult();

    public async Task<IReadOnlyList<DetectedFace>[]> DetectAsync(
        IModelRunner runner, IReadOnlyList<Mat> images, float scoreThreshold, int longSide, CancellationToken cancellationToken = default)
    {
        var inputs = new DetectorInput[images.Count];
        DetectorOutput[] outputs = [];
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                inputs[i] = Prepare(images[i], longSide);
            }

            outputs = await runner.RunAsync(this, inputs, cancellationToken);
            return inputs.Select((input, i) => (IReadOnlyList<DetectedFace>)Decode(input, outputs[i], scoreThreshold)).ToArray();
        }
        finally
        {
            Disposables.DisposeAll(outputs);
            Disposables.DisposeAll(inputs);
        }
    }

    /// <summary>Resizes one image to <paramref name="longSide"/> keeping its aspect ratio and packs it as the network's input.</summary>
    public DetectorInput Prepare(Mat image, int longSide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(longSide, _stride, nameof(longSide));
        var fit = Fit(image.Width, image.Height, longSide);
        var size = InputSize(fit);
        var tensor = new PooledInputTensor(1, size.Width, size.Height);
        try
        {
            using var resized = new Mat();
            if (fit.Scale < 1)
            {
                AreaResize.Resize(image, resized, new Size(fit.Width, fit.Height));
            }
            else
            {
                Cv2.Resize(image, resized, new Size(fit.Width, fit.Height), 0, 0, InterpolationFlags.Linear);
            }
            TensorPacking.Pack(resized, _input, tensor, 0);
            return new DetectorInput(new PreparedInput(tensor), fit.Scale, image.Width, image.Height);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    public InputShape ShapeOf(DetectorInput input) => input.Tensor.Shape;

    public int MaxBatchSize => _maxBatch;

    /// <summary>The model call alone: one ONNX Runtime run over inputs of one size, each image's raw answer copied out.</summary>
    public DetectorOutput[] RunBatch(IReadOnlyList<DetectorInput> inputs)
    {
        var shape = inputs[0].Tensor.Shape;
        var priorCount = PriorsFor(shape.Width, shape.Height).Length / 4;
        using var stacked = PreparedInput.Stack(inputs.Select(i => i.Tensor).ToArray());
        using var outputs = _model.Run(stacked.Value, [_model.Model.Output("boxes"), _model.Model.Output("scores"), _model.Model.Output("landmarks")]);
        var boxes = outputs[0].GetTensorDataAsSpan<float>();
        var scores = outputs[1].GetTensorDataAsSpan<float>();
        var landmarks = outputs[2].GetTensorDataAsSpan<float>();
        if (scores.Length != inputs.Count * priorCount * 2)
        {
            throw new ModelUnavailableException(ModelName,
                $"'{ModelName}' returned {scores.Length / (2 * inputs.Count)} candidates per image at {shape.Width}x{shape.Height}; " +
                $"its manifest's steps and min_sizes give {priorCount}.");
        }

        var results = new DetectorOutput[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            results[i] = new DetectorOutput(
                priorCount,
                boxes.Slice(i * priorCount * 4, priorCount * 4),
                scores.Slice(i * priorCount * 2, priorCount * 2),
                landmarks.Slice(i * priorCount * 10, priorCount * 10));
        }

        return results;
    }

    /// <summary>Prior decoding and NMS of one image's raw answer: faces above the threshold, in the image's pixels.</summary>
    public List<DetectedFace> Decode(DetectorInput input, DetectorOutput output, float scoreThreshold)
    {
        var shape = input.Tensor.Shape;
        return Decode(
            PriorsFor(shape.Width, shape.Height), output.Boxes, output.Scores, output.Landmarks, scoreThreshold,
            new DecodeFrame(shape.Width, shape.Height, 1.0 / input.Scale, input.ImageWidth, input.ImageHeight));
    }

    public void Dispose() => _model.Dispose();

    /// <summary>
    /// The scale applied to an image of this size and the size it is resized to: long side <paramref name="longSide"/>
    /// for a dynamic input, the largest that fits the fixed input otherwise.
    /// </summary>
    public (double Scale, int Width, int Height) Fit(int width, int height, int longSide)
    {
        var (boxWidth, boxHeight) = HasDynamicInput ? (longSide, longSide) : (_input.Width, _input.Height);
        var scale = Math.Min((double)boxWidth / width, (double)boxHeight / height);
        return (scale,
            Math.Clamp((int)Math.Round(width * scale), 1, boxWidth),
            Math.Clamp((int)Math.Round(height * scale), 1, boxHeight));
    }

    /// <summary>The input tensor's size for a resized image: padded to a multiple of the stride, or the fixed input.</summary>
    public (int Width, int Height) InputSize((double Scale, int Width, int Height) fit) =>
        HasDynamicInput ? (RoundUp(fit.Width, _stride), RoundUp(fit.Height, _stride)) : (_input.Width, _input.Height);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private float[] PriorsFor(int width, int height) =>
        _priors.GetOrAdd((width, height), size => BuildPriors(size.Width, size.Height, _spec));

    /// <summary>The input tensor's size and how its coordinates map back to the image.</summary>
    private readonly record struct DecodeFrame(float InputWidth, float InputHeight, double ToImage, int ImageWidth, int ImageHeight);

    private List<DetectedFace> Decode(
        float[] priors, ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, ReadOnlySpan<float> landmarks,
        float threshold, DecodeFrame frame)
    {
        var candidates = new List<(int Prior, float Score)>();
        for (var p = 0; p < priors.Length / 4; p++)
        {
            var score = scores[(p * 2) + 1];
            if (score > threshold)
            {
                candidates.Add((p, score));
            }
        }

        candidates.Sort((a, b) => b.Score.CompareTo(a.Score));
        if (candidates.Count > PreNmsTopK)
        {
            candidates.RemoveRange(PreNmsTopK, candidates.Count - PreNmsTopK);
        }

        float variance0 = _spec.Variances[0], variance1 = _spec.Variances[1];
        float inputWidth = frame.InputWidth, inputHeight = frame.InputHeight;
        double toImage = frame.ToImage;
        int imageWidth = frame.ImageWidth, imageHeight = frame.ImageHeight;
        var decoded = new List<DetectedFace>(candidates.Count);
        foreach (var (p, score) in candidates)
        {
            float priorX = priors[p * 4], priorY = priors[(p * 4) + 1];
            float priorW = priors[(p * 4) + 2], priorH = priors[(p * 4) + 3];
            var centreX = priorX + (boxes[p * 4] * variance0 * priorW);
            var centreY = priorY + (boxes[(p * 4) + 1] * variance0 * priorH);
            var width = priorW * MathF.Exp(boxes[(p * 4) + 2] * variance1);
            var height = priorH * MathF.Exp(boxes[(p * 4) + 3] * variance1);
            var box = new FaceBox(
                (float)(Math.Clamp((centreX - (width / 2)) * inputWidth * toImage, 0, imageWidth)),
                (float)(Math.Clamp((centreY - (height / 2)) * inputHeight * toImage, 0, imageHeight)),
                (float)(Math.Clamp((centreX + (width / 2)) * inputWidth * toImage, 0, imageWidth)),
                (float)(Math.Clamp((centreY + (height / 2)) * inputHeight * toImage, 0, imageHeight)));

            var points = new FacePoint[DetectedFace.LandmarkCount];
            for (var k = 0; k < points.Length; k++)
            {
                var x = priorX + (landmarks[(p * 10) + (k * 2)] * variance0 * priorW);
                var y = priorY + (landmarks[(p * 10) + (k * 2) + 1] * variance0 * priorH);
                points[k] = new FacePoint((float)(x * inputWidth * toImage), (float)(y * inputHeight * toImage));
            }

            decoded.Add(new DetectedFace(box, score, points));
        }

        return NonMaximumSuppression(decoded, _spec.NmsIou);
    }

    /// <summary>Greedy NMS over faces sorted by descending score.</summary>
    internal static List<DetectedFace> NonMaximumSuppression(List<DetectedFace> sortedFaces, float iouThreshold)
    {
        var kept = new List<DetectedFace>();
        foreach (var face in sortedFaces)
        {
            if (kept.TrueForAll(k => k.Box.IntersectionOverUnion(face.Box) <= iouThreshold))
            {
                kept.Add(face);
                if (kept.Count == MaxFacesPerImage)
                {
                    break;
                }
            }
        }

        return kept;
    }

    /// <summary>Prior (anchor) boxes in centre form, normalised to the input size, in the network's output order.</summary>
    internal static float[] BuildPriors(int inputWidth, int inputHeight, DetectorSpec spec)
    {
        var priors = new List<float>();
        for (var level = 0; level < spec.Steps.Count; level++)
        {
            var step = spec.Steps[level];
            var rows = (int)Math.Ceiling((double)inputHeight / step);
            var columns = (int)Math.Ceiling((double)inputWidth / step);
            for (var i = 0; i < rows; i++)
            {
                for (var j = 0; j < columns; j++)
                {
                    foreach (var minSize in spec.MinSizes[level])
                    {
                        priors.Add((float)((j + 0.5) * step / inputWidth));
                        priors.Add((float)((i + 0.5) * step / inputHeight));
                        priors.Add((float)minSize / inputWidth);
                        priors.Add((float)minSize / inputHeight);
                    }
                }
            }
        }

        return [.. priors];
    }
}
