using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

[Collection(SharedVisionModels.Name)]
public sealed class ThoroughDetectionTests(VisionFixture fixture)
{
    [Fact]
    public async Task Thorough_mode_finds_the_small_faces_of_a_crowd_that_one_pass_misses_each_once()
    {
        // 24 shared portraits at 14 px between the eyes on a 2310 px wide frame: one pass sees them about 4 px apart.
        var portraits = new List<(Mat Bgr, FacePoint LeftEye, FacePoint RightEye)>();
        foreach (var photo in GalleryPhotos().Take(24))
        {
            var bytes = TestPaths.Photo(photo);
            var face = DetectedFace.MostProminent((await fixture.Pipeline.DetectAsync([bytes], fixture.Defaults))[0])!;
            portraits.Add((Cv2.ImDecode(bytes, ImreadModes.Color), face.Landmarks[0], face.Landmarks[1]));
        }

        using var crowd = CrowdMosaic.Build(portraits, columns: 8, interEye: 14, spacing: 3);
        portraits.ForEach(p => p.Bgr.Dispose());
        var image = crowd.Image.ImEncode(".png");

        var fast = (await fixture.Pipeline.DetectAsync([image], fixture.Defaults))[0];
        var thorough = (await fixture.Pipeline.DetectAsync([image], fixture.Defaults with { Detection = DetectionMode.Thorough }))[0];

        Assert.True(fast.Count <= 2, $"one pass found {fast.Count} of 24");
        var perCell = crowd.Cells.Select(cell => thorough.Count(f => cell.Contains(new Point((f.Box.Left + f.Box.Right) / 2, (f.Box.Top + f.Box.Bottom) / 2)))).ToArray();
        Assert.True(perCell.Count(n => n == 1) >= 23, $"thorough found faces in cells: {string.Join(",", perCell)}");
        Assert.All(perCell, n => Assert.InRange(n, 0, 1));
        Assert.Equal(perCell.Sum(), thorough.Count); // nothing outside the cells
        // Each face keeps its landmarks and measures, in the mosaic's pixels.
        Assert.All(thorough, f => Assert.InRange(f.Quality!.InterEyeDistance, 10, 18));
    }

    [Theory]
    [InlineData("couple.jpg", 2)]
    [InlineData("selfie-many-people.jpg", 6)]
    [InlineData("img47.jpg", 1)]
    public async Task On_the_shared_group_photos_thorough_mode_finds_the_same_faces_without_duplicates(string photo, int faces)
    {
        var bytes = TestPaths.Photo(photo);

        var fast = (await fixture.Pipeline.DetectAsync([bytes], fixture.Defaults))[0];
        var thorough = (await fixture.Pipeline.DetectAsync([bytes], fixture.Defaults with { Detection = DetectionMode.Thorough }))[0];

        Assert.Equal(faces, fast.Count);
        Assert.Equal(faces, thorough.Count);
        Assert.All(fast, f => Assert.Contains(thorough, t => t.Box.IntersectionOverUnion(f.Box) > 0.8f));
    }

    /// <summary>The photos of pairs.csv: portraits of one person each.</summary>
    private static IEnumerable<string> GalleryPhotos() =>
        Gallery.GalleryTests.People().SelectMany(p => p).Order(StringComparer.Ordinal);
}
