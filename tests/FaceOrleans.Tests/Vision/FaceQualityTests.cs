using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

[Collection(SharedVisionModels.Name)]
public sealed class FaceQualityTests(VisionFixture fixture)
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(30, 0)]
    [InlineData(-45, 10)]
    [InlineData(0, -25)]
    [InlineData(20, 20)]
    public void Head_pose_reads_back_the_angles_a_generic_face_was_turned_by(double yaw, double pitch)
    {
        var pose = HeadPose.Estimate(HeadPose.Project(yaw, pitch, scale: 3));

        // Project turns the face by yaw, then tilts it by pitch; Estimate reads the direction the face then points
        // in as its horizontal angle (yaw) and its elevation (pitch). Alone, each angle reads back as it was given.
        var (y, p) = (yaw * Math.PI / 180, pitch * Math.PI / 180);
        var front = (X: Math.Sin(y), Y: -Math.Cos(y) * Math.Sin(p), Z: Math.Cos(y) * Math.Cos(p));
        var expectedYaw = Math.Atan2(front.X, front.Z) * 180 / Math.PI;
        var expectedPitch = Math.Atan2(-front.Y, Math.Sqrt((front.X * front.X) + (front.Z * front.Z))) * 180 / Math.PI;
        Assert.InRange(pose.Yaw, expectedYaw - 0.5, expectedYaw + 0.5);
        Assert.InRange(pose.Pitch, expectedPitch - 0.5, expectedPitch + 0.5);
        if (pitch == 0 || yaw == 0)
        {
            Assert.Equal((yaw, pitch), (Math.Round(pose.Yaw), Math.Round(pose.Pitch)));
        }
    }

    [Fact]
    public async Task Clean_portraits_pass_the_default_limits_and_their_tiny_and_strongly_blurred_copies_do_not()
    {
        var limits = QualityLimits.Default;
        string[] photos = ["img1.jpg", "img2.jpg", "img10.jpg", "img22.jpg", "img35.jpg", "img47.jpg"];
        var tiny = CaptureCondition.Standard.Single(c => c.Name == "tiny");
        var blurred = CaptureCondition.Standard.Single(c => c.Name == "blur-strong");
        var mild = CaptureCondition.Standard.Single(c => c.Name == "blur-mild");
        foreach (var photo in photos)
        {
            var bytes = TestPaths.Photo(photo);
            var clean = DetectedFace.MostProminent((await fixture.Pipeline.DetectAsync([bytes], fixture.Defaults))[0])!;
            var quality = clean.Quality!;
            Assert.True(limits.Problems(quality).Count == 0, $"{photo}: {quality}");
            // The measure is the distance between the landmarks it reports.
            Assert.Equal(Math.Sqrt(Math.Pow(clean.Landmarks[1].X - clean.Landmarks[0].X, 2) + Math.Pow(clean.Landmarks[1].Y - clean.Landmarks[0].Y, 2)), quality.InterEyeDistance, 2);

            var tinyQuality = await QualityOf(photo, bytes, clean, tiny);
            var blurredQuality = await QualityOf(photo, bytes, clean, blurred);
            var mildQuality = await QualityOf(photo, bytes, clean, mild);
            Assert.InRange(tinyQuality.InterEyeDistance, 24, 32);
            Assert.Equal([QualityLimits.TooSmall], limits.Problems(tinyQuality));
            Assert.Equal([QualityLimits.TooBlurred], limits.Problems(blurredQuality));
            Assert.True(limits.Problems(mildQuality).Count == 0, $"{photo} blur-mild: {mildQuality}");
            // Blur lowers sharpness in order; the pose hardly moves, since the landmarks do not.
            Assert.True(quality.Sharpness > mildQuality.Sharpness && mildQuality.Sharpness > blurredQuality.Sharpness, $"{photo}: {quality} {mildQuality} {blurredQuality}");
            Assert.InRange(blurredQuality.Yaw, quality.Yaw - 10, quality.Yaw + 10);
        }
    }

    [Fact]
    public async Task A_face_turned_aside_is_measured_so_and_a_tenants_limits_decide()
    {
        // The selfie's photographer, at the right edge, is turned about 40 degrees.
        var faces = (await fixture.Pipeline.DetectAsync([TestPaths.Photo("selfie-many-people.jpg")], fixture.Defaults))[0];
        var turned = DetectedFace.MostProminent(faces)!.Quality!;

        Assert.True(Math.Abs(turned.Yaw) > QualityLimits.Default.MaxYaw, turned.ToString());
        Assert.Contains(QualityLimits.TurnedAside, QualityLimits.Default.Problems(turned));
        Assert.DoesNotContain(QualityLimits.TurnedAside, (QualityLimits.Default with { MaxYaw = 60 }).Problems(turned));
        Assert.Contains("turned aside (yaw", QualityLimits.Describe(turned, [QualityLimits.TurnedAside]), StringComparison.Ordinal);
    }

    private async Task<FaceQuality> QualityOf(string photo, byte[] bytes, DetectedFace clean, CaptureCondition condition)
    {
        using var bgr = Cv2.ImDecode(bytes, ImreadModes.Color);
        using var copy = PhotoDegrader.Apply(bgr, clean.Landmarks[0], clean.Landmarks[1], condition, PhotoDegrader.SeedFor(photo, condition));
        var faces = (await fixture.Pipeline.DetectAsync([copy.Bgr.ImEncode(".png")], fixture.Defaults))[0];
        return DetectedFace.MostProminent(faces)?.Quality ?? throw new Xunit.Sdk.XunitException($"{photo} {condition.Name}: no face");
    }
}
