using System.Net;
using System.Net.Http.Json;
using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Api;

/// <summary>One tenant cannot park megabytes in the shared store or ask for an unbounded search.</summary>
[Collection(ApiGroup.Name)]
public sealed class ApiLimitsTests(ApiFixture fixture)
{
    [Fact]
    public async Task Subject_metadata_over_16_KB_is_400_naming_metadata_and_stores_nothing()
    {
        using var client = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);
        var atLimit = "meta-ok-" + Guid.NewGuid().ToString("N")[..6];
        var overLimit = "meta-big-" + Guid.NewGuid().ToString("N")[..6];
        var justFits = new string('x', SubjectLimits.MaxMetadataBytes - "note".Length);

        var fits = await client.PostAsJsonAsync("/v1/access/subjects", new { id = atLimit, metadata = new { note = justFits } });
        var tooBig = await client.PostAsJsonAsync("/v1/access/subjects", new { id = overLimit, metadata = new { note = justFits + "y" } });
        var fiveMegabytes = await client.PostAsJsonAsync("/v1/access/subjects", new { id = overLimit, metadata = new { note = new string('z', 5_000_000) } });

        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        Assert.Equal("metadata", (await ProblemAssert.IsProblemAsync(tooBig, HttpStatusCode.BadRequest, "invalid-parameter")).GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(fiveMegabytes, HttpStatusCode.BadRequest, "invalid-parameter");
        var listed = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/access/subjects?page=1&size=1000");
        Assert.DoesNotContain(listed.GetProperty("items").EnumerateArray(), s => s.GetProperty("id").GetString() == overLimit);
    }

    [Theory]
    [InlineData("1000000000")]
    [InlineData("101")]
    [InlineData("-3")]
    [InlineData("0")]
    public async Task A_top_k_outside_1_to_100_is_400_naming_top_k(string topK)
    {
        using var client = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);

        var response = await client.PostAsync("/v1/access/identify", ApiFixture.WithField(ApiFixture.Form(("image", "img2.jpg")), "top_k", topK));

        Assert.Equal("top_k", (await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid-parameter")).GetProperty("field").GetString());
    }

    [Fact]
    public async Task The_largest_top_k_is_accepted()
    {
        using var client = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);

        var response = await client.PostAsync("/v1/access/identify", ApiFixture.WithField(ApiFixture.Form(("image", "img2.jpg")), "top_k", "100"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
