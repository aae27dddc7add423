using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// RetinaFace (detection + 5 landmarks). Images are letterboxed into the model's fixed input, run as one
/// batch, decoded against the prior boxes with the manifest's variances and filtered by NMS.
/// Owns its session. Thread-safe: ONNX Runtime sessions allow concurrent Run calls.
/// </summary>
public sealed class RetinaFaceDetector : IDisposable
{
    private const int PreNmsTopK = 5000;
    private const int MaxFacesPerImage = 750;

    private readonly ModelSession _model;
    private readonly ModelInputSpec _input;
    private readonly DetectorSpec _spec;
    private readonly float[] _priors;
    private readonly int _maxBatch;

    /// <param name="model">The detector's session; the detector takes ownership and disposes it.</param>
    /// <param name="maxBatchSize">Most images per model call; more are split into several calls.</param>
    public RetinaFaceDetector(ModelSession model, int maxBatchSize)
    {
        _model = model;
        _input = model.Model.Input;
        _spec = model.Model.Detector
            ?? throw new ModelUnavailableException(model.Model.Name, $"'{model.Model.Name}' is not a detector.");
        _priors = BuildPriors(_input.Width, _input.Height, _spec);
        _maxBatch = Math.Max(1, maxBatchSize);
    }

    public string ModelName => _model.Model.Name;

    /// <summary>The provider the session actually runs on (CPU after a CUDA fallback).</summary>
    public string ExecutionProvider => _model.ExecutionProvider;

    /// <summary>The manifest's score threshold for this model: the default a tenant's settings start from.</summary>
    public float DefaultScoreThreshold => _spec.ScoreThreshold;

    /// <summary>Overlap (IoU) above which two boxes are one face: the manifest's NMS setting, for callers merging detections.</summary>
    public float NmsIouThreshold => _spec.NmsIou;

    public int PriorCount => _priors.Length / 4;

    /// <summary>Detects faces scoring above <paramref name="scoreThreshold"/> in each image; coordinates are in that image's pixels.</summary>
    public IReadOnlyList<IReadOnlyList<DetectedFace>> Detect(IReadOnlyList<Mat> images, float scoreThreshold)
    {
        var results = new List<IReadOnlyList<DetectedFace>>(images.Count);
        for (var start = 0; start < images.Count; start += _maxBatch)
        {
            var count = Math.Min(_maxBatch, images.Count - start);
            results.AddRange(DetectBatch(images.Skip(start).Take(count).ToArray(), scoreThreshold));
        }

        return results;
    }

    public void Dispose() => _model.Dispose();

    private List<IReadOnlyList<DetectedFace>> DetectBatch(Mat[] images, float threshold)
    {
        using var tensor = new PooledInputTensor(images.Length, _input);
        var scales = new double[images.Length];
        for (var i = 0; i < images.Length; i++)
        {
            scales[i] = Letterbox(images[i], tensor.Span, i);
        }

        var boxesName = _model.Model.Output("boxes");
        var scoresName = _model.Model.Output("scores");
        var landmarksName = _model.Model.Output("landmarks");
        using var input = tensor.ToOrtValue();
        using var outputs = _model.Run(input, [boxesName, scoresName, landmarksName]);
        var boxes = outputs[0].GetTensorDataAsSpan<float>();
        var scores = outputs[1].GetTensorDataAsSpan<float>();
        var landmarks = outputs[2].GetTensorDataAsSpan<float>();

        var priorCount = PriorCount;
        var results = new List<IReadOnlyList<DetectedFace>>(images.Length);
        for (var i = 0; i < images.Length; i++)
        {
            var faces = Decode(
                boxes.Slice(i * priorCount * 4, priorCount * 4),
                scores.Slice(i * priorCount * 2, priorCount * 2),
                landmarks.Slice(i * priorCount * 10, priorCount * 10),
                threshold,
                1.0 / scales[i],
                images[i].Width,
                images[i].Height);
            results.Add(faces);
        }

        return results;
    }

    /// <summary>Resizes to fit the input keeping aspect ratio, packs it top-left, returns the scale applied.</summary>
    private double Letterbox(Mat image, Span<float> tensor, int batchIndex)
    {
        var scale = Math.Min((double)_input.Width / image.Width, (double)_input.Height / image.Height);
        var width = Math.Clamp((int)Math.Round(image.Width * scale), 1, _input.Width);
        var height = Math.Clamp((int)Math.Round(image.Height * scale), 1, _input.Height);
        using var resized = new Mat();
        Cv2.Resize(image, resized, new Size(width, height), 0, 0,
            scale < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);
        TensorPacking.Pack(resized, _input, tensor, batchIndex);
        return scale;
    }

    private List<DetectedFace> Decode(
        ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, ReadOnlySpan<float> landmarks,
        float threshold, double toImage, int imageWidth, int imageHeight)
    {
        var candidates = new List<(int Prior, float Score)>();
        for (var p = 0; p < PriorCount; p++)
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
        float inputWidth = _input.Width, inputHeight = _input.Height;
        var decoded = new List<DetectedFace>(candidates.Count);
        foreach (var (p, score) in candidates)
        {
            float priorX = _priors[p * 4], priorY = _priors[(p * 4) + 1];
            float priorW = _priors[(p * 4) + 2], priorH = _priors[(p * 4) + 3];
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
