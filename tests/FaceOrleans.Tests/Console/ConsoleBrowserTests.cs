using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Tests.Api;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace FaceOrleans.Tests.Console;

/// <summary>
/// The console at /console in a real headless chromium against the real API process: what it shows must be what
/// the API answers for the same photos. Screenshots go to TestResults/ at the repository root.
/// </summary>
[Collection(ApiProcessGroup.Name)]
public sealed class ConsoleBrowserTests(ApiProcessFixture api, ChromiumFixture browser) : IClassFixture<ChromiumFixture>
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);

    private ChromeDriver Chrome => browser.Chrome;

    [Fact]
    public async Task Compare_shows_the_APIs_similarity_and_draws_both_photos_faces_with_the_compared_face_highlighted()
    {
        Connect(api.AttendanceKey);

        var couple = await CompareInPageAsync("img10.jpg", "couple.jpg");
        Assert.True(couple.GetProperty("faces").GetProperty("image2").GetArrayLength() > 1, "couple.jpg must show several faces for the highlight to mean anything");
        Screenshot("console-compare.png");

        // The API lists the selfie's faces by score, so its largest face is not the first: the page must pick it itself.
        var selfie = await CompareInPageAsync("img10.jpg", "selfie-many-people.jpg");
        Assert.NotEqual(0, LargestFace(selfie.GetProperty("faces").GetProperty("image2").EnumerateArray().ToArray()));
    }

    [Fact]
    public async Task Detect_draws_every_face_the_API_finds()
    {
        Connect(api.AttendanceKey);
        Tab("detect");
        Upload("#detect-form input[name=image]", "selfie-many-people.jpg");
        Submit("#detect-form");
        WaitForResult("#detect-result");

        var expected = await PostAsync("/v1/attendance/detect", ("image", "selfie-many-people.jpg"));
        var count = expected.GetProperty("count").GetInt32();
        Assert.True(count > 2, "the selfie must show several faces");
        Assert.Equal(count.ToString(CultureInfo.InvariantCulture), Find("#detect-count").Text);
        Assert.Equal(count, Chrome.FindElements(By.CssSelector("#detect-faces tbody tr")).Count);
        AssertFacesDrawn("#detect-image", expected.GetProperty("faces"), highlightLargest: false);
        Screenshot("console-detect.png");
    }

    [Fact]
    public async Task Gallery_pages_through_subjects_enrolls_a_photo_and_identifies_the_same_person_in_another()
    {
        using var client = api.Client(api.AttendanceKey);
        var prefix = "console-" + Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < 11; i++)
        {
            (await client.PostAsJsonAsync("/v1/attendance/subjects", new { id = $"{prefix}-{i:00}" })).EnsureSuccessStatusCode();
        }

        Connect(api.AttendanceKey);
        Tab("gallery");
        var total = (await client.GetFromJsonAsync<JsonElement>("/v1/attendance/subjects?page=1&size=10")).GetProperty("total").GetInt32();
        var pages = (total + 9) / 10;
        Wait(() => Find("#subjects-page").Text == $"page 1 of {pages}", "the first page of subjects");
        Assert.Equal($"({total})", Find("#subjects-total").Text);
        Assert.Equal(10, Chrome.FindElements(By.CssSelector("#subjects tbody tr")).Count);
        Find("#subjects-next").Click();
        Wait(() => Find("#subjects-page").Text == $"page 2 of {pages}", "the second page of subjects");
        Assert.Contains(Chrome.FindElements(By.CssSelector("#subjects tbody tr td:first-child")), cell => cell.Text == $"{prefix}-10");

        var ann = $"{prefix}-ann";
        Find("#enroll-form input[name=subject]").SendKeys(ann);
        Find("#enroll-form input[name=display_name]").SendKeys("Ann");
        Upload("#enroll-form input[name=image]", "img10.jpg");
        Submit("#enroll-form");
        WaitForResult("#enroll-result");
        Assert.Contains($"for {ann}", Find("#enroll-result").Text, StringComparison.Ordinal);

        Upload("#identify-form input[name=image]", "img2.jpg");
        Submit("#identify-form");
        WaitForResult("#identify-result");
        var expected = await PostAsync("/v1/attendance/identify", ("image", "img2.jpg"));
        var match = expected.GetProperty("faces")[0].GetProperty("match").GetString();
        Assert.Equal(ann, match);
        Assert.Equal(match, Find("#identify-faces tbody tr").GetDomAttribute("data-match"));
        Assert.Contains(ann, Find("#identify-faces tbody tr").Text, StringComparison.Ordinal);
        AssertFacesDrawn("#identify-image", JsonSerializer.SerializeToElement(expected.GetProperty("faces").EnumerateArray().Select(f => f.GetProperty("face"))), highlightLargest: false);
        Assert.Equal("0", Assert.Single(Chrome.FindElements(By.CssSelector("#identify-image svg .face.matched"))).GetDomAttribute("data-index"));
        Screenshot("console-gallery.png");
    }

    [Fact]
    public async Task The_tenant_view_shows_the_slice_and_silo_the_tenant_runs_on()
    {
        Connect(api.AttendanceKey);
        Tab("tenant");
        using var client = api.Client(api.AttendanceKey);
        var slice = (await client.GetFromJsonAsync<JsonElement>("/v1/attendance")).GetProperty("slice");

        // Connecting and opening the tab each load the state and redraw the list, so all three are read in one go,
        // again if a redraw replaced an element between the reads.
        var shown = Wait(() => Find("#tenant-state dd[data-fact=silo]").Text.Length > 0
            ? new[] { Find("#tenant-state dd[data-fact=slice]").Text, Find("#tenant-state dd[data-fact=silo]").Text, Find("#where").Text }
            : null, "the tenant's state");
        Assert.Equal(slice.GetProperty("slice_id").GetString(), shown[0]);
        Assert.Equal(slice.GetProperty("silo").GetString(), shown[1]);
        Assert.Contains(slice.GetProperty("silo").GetString()!, shown[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task API_problems_are_shown_with_their_title_and_detail()
    {
        Connect("fo_not-a-real-key", expectConnected: false);
        var problem = Wait(() => Find("#problem") is { Displayed: true } box ? box : null, "the problem box");
        Assert.Contains("401 Invalid API key", problem.Text, StringComparison.Ordinal);
        Assert.Contains("invalid-api-key", problem.Text, StringComparison.Ordinal);

        var notAnImage = Path.Combine(Path.GetTempPath(), $"faceorleans-console-{Guid.NewGuid():N}.jpg");
        await File.WriteAllTextAsync(notAnImage, "this is not a photo");
        try
        {
            Connect(api.AttendanceKey);
            Tab("detect");
            Upload("#detect-form input[name=image]", "img10.jpg");
            Submit("#detect-form");
            WaitForResult("#detect-result");
            Find("#detect-form input[name=image]").SendKeys(notAnImage);
            Submit("#detect-form");
            problem = Wait(() => Find("#problem") is { Displayed: true } box ? box : null, "the problem box");
            Assert.False(Find("#detect-result").Displayed, "the previous photo's result is not left beside the problem");

            using var client = api.Client(api.AttendanceKey);
            using var form = ApiFixture.Form("image", await File.ReadAllBytesAsync(notAnImage), "not-a-photo.jpg");
            var expected = await (await client.PostAsync(new Uri("/v1/attendance/detect", UriKind.Relative), form)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains($"{expected.GetProperty("status").GetInt32()} {expected.GetProperty("title").GetString()}", problem.Text, StringComparison.Ordinal);
            Assert.Contains(expected.GetProperty("detail").GetString()!, problem.Text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(notAnImage);
        }
    }

    /// <summary>Compares two photos in the page and checks it against the API's answer for the same pair, which it returns.</summary>
    private async Task<JsonElement> CompareInPageAsync(string first, string second)
    {
        Upload("#compare-form input[name=image1]", first);
        Upload("#compare-form input[name=image2]", second);
        Submit("#compare-form");
        WaitForResult("#compare-result");

        var expected = await PostAsync("/v1/attendance/compare", ("image1", first), ("image2", second));
        var similarity = expected.GetProperty("similarity").GetDouble();
        var shown = Find("#compare-similarity");
        Assert.Equal(similarity.ToString("F3", CultureInfo.InvariantCulture), shown.Text);
        Assert.Equal(similarity, double.Parse(shown.GetDomAttribute("data-value")!, CultureInfo.InvariantCulture), 6);
        Assert.Equal(expected.GetProperty("is_same_person").GetBoolean() ? "same person" : "different people", Find("#compare-verdict").Text);
        Assert.Equal(expected.GetProperty("message").GetString(), Find("#compare-message").Text);
        Assert.Equal(expected.GetProperty("slice").GetString(), Find("#compare-slice").Text);
        AssertFacesDrawn("#compare-image1", expected.GetProperty("faces").GetProperty("image1"), highlightLargest: true);
        AssertFacesDrawn("#compare-image2", expected.GetProperty("faces").GetProperty("image2"), highlightLargest: true);
        return expected;
    }

    private void Connect(string key, bool expectConnected = true)
    {
        Chrome.Navigate().GoToUrl(new Uri(api.BaseAddress, "/console"));
        var field = Find("#api-key");
        field.Clear();
        field.SendKeys(key);
        Submit("#connect");
        if (expectConnected)
        {
            Wait(() => Find("#where").Displayed ? Find("#where") : null, "the tenant's slice and silo after connecting");
        }
    }

    private void Tab(string view) => Find($"#tabs button[data-view={view}]").Click();

    private IWebElement Find(string css) => Chrome.FindElement(By.CssSelector(css));

    private void Upload(string input, string photo) => Find(input).SendKeys(Path.Combine(TestPaths.FacesDirectory, photo));

    private void Submit(string form) => Find($"{form} button[type=submit]").Click();

    /// <summary>Waits for a result to appear; a problem shown instead fails at once with its text.</summary>
    private void WaitForResult(string css) => Wait(() =>
    {
        var problem = Find("#problem");
        return problem.Displayed
            ? throw new Xunit.Sdk.XunitException($"the console shows a problem instead of {css}: {problem.Text}")
            : Find(css).Displayed ? Find(css) : null;
    }, css);

    /// <summary>Polls until <paramref name="condition"/> gives a value; an element the page redrew meanwhile (stale) is a retry, not a failure.</summary>
    private T Wait<T>(Func<T?> condition, string what)
    {
        var wait = new WebDriverWait(Chrome, Slow) { Message = $"waiting for {what}" };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        return wait.Until(_ => condition());
    }

    private void Wait(Func<bool> condition, string what) => Wait(() => condition() ? (object)true : null, what);

    /// <summary>One drawn face per face the API found, each box where the API put it, with its five landmarks.</summary>
    private void AssertFacesDrawn(string figure, JsonElement faces, bool highlightLargest)
    {
        var expected = faces.EnumerateArray().ToArray();
        var drawn = Chrome.FindElements(By.CssSelector($"{figure} svg .face"));
        Assert.Equal(expected.Length, drawn.Count);
        // The photo itself is drawn in the same SVG, so the boxes sit in its pixel coordinates, as the API gives them.
        var photo = Chrome.FindElement(By.CssSelector($"{figure} svg image"));
        Assert.StartsWith("blob:", photo.GetDomAttribute("href"), StringComparison.Ordinal);
        Assert.True(photo.Size.Width > 100, "the photo is shown");
        for (var i = 0; i < expected.Length; i++)
        {
            var box = expected[i].GetProperty("box");
            var rect = drawn[i].FindElement(By.TagName("rect"));
            Assert.Equal(box.GetProperty("left").GetDouble(), double.Parse(rect.GetDomAttribute("x")!, CultureInfo.InvariantCulture), 3);
            Assert.Equal(box.GetProperty("top").GetDouble(), double.Parse(rect.GetDomAttribute("y")!, CultureInfo.InvariantCulture), 3);
            Assert.True(rect.Size.Width > 4 && rect.Size.Height > 4, "the box is drawn on screen");
            Assert.Equal(5, drawn[i].FindElements(By.TagName("circle")).Count);
        }

        var chosen = Chrome.FindElements(By.CssSelector($"{figure} svg .face.chosen"));
        if (!highlightLargest)
        {
            Assert.Empty(chosen);
            return;
        }

        // The service compares the largest face; the page must highlight that one.
        Assert.Equal(LargestFace(expected).ToString(CultureInfo.InvariantCulture), Assert.Single(chosen).GetDomAttribute("data-index"));
    }

    /// <summary>The service's rule: the largest box, then the higher score.</summary>
    private static int LargestFace(JsonElement[] faces) => Enumerable.Range(0, faces.Length)
        .OrderByDescending(i => faces[i].GetProperty("box").GetProperty("width").GetDouble() * faces[i].GetProperty("box").GetProperty("height").GetDouble())
        .ThenByDescending(i => faces[i].GetProperty("score").GetDouble())
        .First();

    private async Task<JsonElement> PostAsync(string path, params (string Field, string Photo)[] files)
    {
        using var client = api.Client(api.AttendanceKey);
        using var form = ApiFixture.Form(files);
        var response = await client.PostAsync(new Uri(path, UriKind.Relative), form);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private void Screenshot(string name) =>
        Chrome.GetScreenshot().SaveAsFile(Path.Combine(TestPaths.ArtefactsDirectory, name));
}
