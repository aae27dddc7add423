using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

[Collection(SharedVisionModels.Name)]
public sealed class CompareTests(VisionFixture fixture)
{
    [Fact]
    public async Task Two_photos_of_the_same_person_match()
    {
        var result = await fixture.Pipeline.CompareAsync(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg"), fixture.Defaults);

        Assert.True(result.IsSamePerson, result.Message);
        Assert.True(result.Similarity >= result.Threshold);
        Assert.StartsWith("Same person", result.Message, StringComparison.Ordinal);
        Assert.Single(result.Faces1);
        Assert.Single(result.Faces2);
        Assert.Null(result.MissingFaceIn);
    }

    [Fact]
    public async Task Photos_of_different_people_do_not_match()
    {
        var result = await fixture.Pipeline.CompareAsync(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img12.jpg"), fixture.Defaults);

        Assert.False(result.IsSamePerson, result.Message);
        Assert.True(result.Similarity < result.Threshold);
        Assert.StartsWith("Different people", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_caller_threshold_overrides_the_default()
    {
        var strict = await fixture.Pipeline.CompareAsync(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg"), fixture.Defaults with { SimilarityThreshold = 0.999f });
        Assert.Equal(0.999f, strict.Threshold);
        Assert.False(strict.IsSamePerson);
    }

    [Fact]
    public async Task Missing_face_is_reported_with_the_image_that_lacks_it()
    {
        using var blank = new Mat(400, 400, MatType.CV_8UC3, Scalar.All(128));
        var result = await fixture.Pipeline.CompareAsync(TestPaths.Photo("img1.jpg"), blank.ImEncode(".png"), fixture.Defaults);

        Assert.Null(result.Similarity);
        Assert.False(result.IsSamePerson);
        Assert.Equal("image2", result.MissingFaceIn);
        Assert.Equal("No face found in image2.", result.Message);
    }

    [Fact]
    public async Task Multi_face_photo_is_compared_by_its_largest_face_and_says_so()
    {
        var result = await fixture.Pipeline.CompareAsync(TestPaths.Photo("img54.jpg"), TestPaths.Photo("img54.jpg"), fixture.Defaults);

        Assert.True(result.IsSamePerson);
        Assert.Equal(1.0f, result.Similarity!.Value, 3);
        // Compare detects at the prominent-face size, where img54's two smallest bystanders (24 px at 480) may drop out.
        Assert.InRange(result.Faces1.Count, 2, 4);
        Assert.Contains($"image1 has {result.Faces1.Count} faces", result.Message, StringComparison.Ordinal);
        Assert.Contains("largest face", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_second_upload_is_named_in_the_error()
    {
        var ex = await Assert.ThrowsAsync<RequestRejectedException>(() => fixture.Pipeline.CompareAsync(TestPaths.Photo("img1.jpg"), [1, 2, 3, 4], fixture.Defaults));
        Assert.Equal(RejectionCode.NotAnImage, ex.Code);
        Assert.Equal("image2", ex.Field);
        Assert.StartsWith("image2:", ex.Message, StringComparison.Ordinal);
    }
}
