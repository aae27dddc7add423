using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

[Collection(SharedVisionModels.Name)]
public sealed class AlignmentTests(VisionFixture fixture)
{
    [Fact]
    public void Estimated_transform_maps_template_congruent_landmarks_onto_the_template()
    {
        // Landmarks that are an exact similarity of the template (rotated 25°, scaled 3.1, shifted).
        var known = new SimilarityTransform(3.1 * Math.Cos(0.436), 3.1 * Math.Sin(0.436), 412.5, 97.25);
        var landmarks = FaceAligner.Template112.Select(known.Apply).ToArray();

        var estimated = FaceAligner.TransformFor(landmarks);

        for (var i = 0; i < landmarks.Length; i++)
        {
            AssertNear(FaceAligner.Template112[i], estimated.Apply(landmarks[i]), 0.01);
        }

        Assert.Equal(1 / 3.1, estimated.Scale, 4);
        Assert.Equal(-0.436, estimated.RotationRadians, 4);
    }

    [Fact]
    public void Warped_crop_puts_each_landmark_within_two_pixels_of_the_template()
    {
        // Five bright dots where a tilted, enlarged face would have its landmarks; after alignment the
        // dots must sit on the template, which checks the warp's direction and sampling, not only the maths.
        var known = new SimilarityTransform(2.6 * Math.Cos(-0.3), 2.6 * Math.Sin(-0.3), 150, 220);
        var landmarks = FaceAligner.Template112.Select(known.Apply).ToArray();
        using var canvas = new Mat(700, 700, MatType.CV_8UC3, Scalar.All(0));
        foreach (var p in landmarks)
        {
            canvas.Circle(new Point(p.X, p.Y), 6, Scalar.All(255), -1, LineTypes.AntiAlias);
        }

        using var aligned = FaceAligner.Align(canvas, landmarks);

        Assert.Equal(112, aligned.Width);
        Assert.Equal(112, aligned.Height);
        for (var i = 0; i < landmarks.Length; i++)
        {
            AssertNear(FaceAligner.Template112[i], BrightCentroidNear(aligned, FaceAligner.Template112[i], 6), 2);
        }
    }

    [Theory]
    [InlineData("img1.jpg")]
    [InlineData("img17.jpg")]
    [InlineData("img29.jpg")]
    public void Real_face_landmarks_land_where_the_transform_puts_them(string photo)
    {
        // Real faces differ from the average template by several pixels, so compare the warp with the
        // transform it was built from: re-detect the landmarks on the aligned crop (enlarged 4x so the
        // detector sees a normal-size face) and compare with the transformed originals. RetinaFace's own
        // landmark noise between two views of one face is about 2 px at this scale (measured 1.3-3.2 px on
        // these photos), so this catches a flipped, swapped or mis-rotated warp; the exact 2 px property is
        // checked on synthetic landmarks above.
        using var decoded = ImageDecoder.Decode(TestPaths.Photo(photo), ImageLimits.Default);
        var face = DetectedFace.MostProminent(fixture.Faces(decoded.Bgr))!;
        var transform = FaceAligner.TransformFor(face.Landmarks);
        using var aligned = FaceAligner.Align(decoded.Bgr, face.Landmarks);
        using var enlarged = aligned.Resize(new Size(448, 448), 0, 0, InterpolationFlags.Cubic);
        using var canvas = new Mat(640, 640, MatType.CV_8UC3, Scalar.All(0));
        enlarged.CopyTo(canvas[new Rect(96, 96, 448, 448)]);

        var redetected = Assert.Single(fixture.Faces(canvas));

        var distances = new double[DetectedFace.LandmarkCount];
        for (var i = 0; i < distances.Length; i++)
        {
            // Resize aligns pixel centres: crop point p sits at 4p + 1.5 in the enlarged image.
            var found = new FacePoint((redetected.Landmarks[i].X - 96 - 1.5f) / 4, (redetected.Landmarks[i].Y - 96 - 1.5f) / 4);
            distances[i] = Distance(transform.Apply(face.Landmarks[i]), found);
        }

        Assert.True(distances.Average() <= 3, $"mean landmark error {distances.Average():0.00} px");
        Assert.True(distances.Max() <= 4.5, $"worst landmark error {distances.Max():0.00} px");
    }

    private static FacePoint BrightCentroidNear(Mat image, FacePoint around, int radius)
    {
        double sum = 0, x = 0, y = 0;
        for (var row = (int)around.Y - radius; row <= (int)around.Y + radius; row++)
        {
            for (var col = (int)around.X - radius; col <= (int)around.X + radius; col++)
            {
                var value = image.At<Vec3b>(row, col).Item0;
                sum += value;
                x += value * col;
                y += value * row;
            }
        }

        Assert.True(sum > 0, $"no dot near ({around.X}, {around.Y})");
        return new FacePoint((float)(x / sum), (float)(y / sum));
    }

    private static double Distance(FacePoint a, FacePoint b) => Math.Sqrt(Math.Pow(a.X - b.X, 2) + Math.Pow(a.Y - b.Y, 2));

    private static void AssertNear(FacePoint expected, FacePoint actual, double tolerance)
    {
        var distance = Distance(expected, actual);
        Assert.True(distance <= tolerance, $"expected ({expected.X:0.00}, {expected.Y:0.00}), got ({actual.X:0.00}, {actual.Y:0.00}): {distance:0.00} px apart");
    }
}
