using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using FaceOrleans.Tests.Api;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// A tenant exported from one real service as an encrypted archive and imported under another tenant id into a
/// fresh service (its own data folder, its own silo) answers identify exactly as before, on real photos.
/// </summary>
public sealed class TenantTransferTests
{
    private const string Passphrase = "correct horse battery staple";

    private static readonly string[] Probes = ["img2.jpg", "img12.jpg", "img10.jpg", "couple.jpg", "img4.jpg"];

    [Fact]
    public Task An_exported_tenant_imported_elsewhere_under_another_id_identifies_the_same() => ApiProcess.RunAsync("faceorleans-export-", s => ApiProcess.Pin(s, "source"), async (source, _) =>
    {
        using var admin = source.Client();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/v1/source/config",
            new { store_enrollment_photos = true, identification_threshold = 0.4, audit_retention_days = 90 })).StatusCode);
        var faces = new Dictionary<string, string>();
        foreach (var (subject, photo) in (ValueTuple<string, string>[])[("ann", "img10.jpg"), ("ann", "img11.jpg"), ("bob", "img12.jpg"), ("cy", "img4.jpg")])
        {
            if (!faces.ContainsValue(subject))
            {
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/source/subjects", new { id = subject, display_name = subject.ToUpperInvariant() })).StatusCode);
            }

            var enrolled = await ApiFixture.OkJsonAsync(await admin.PostAsync($"/v1/source/subjects/{subject}/faces", ApiFixture.Form(("image", photo))));
            faces[enrolled.GetProperty("face_id").GetString()!] = subject;
        }

        var before = await IdentifyAllAsync(admin, "source");
        var tenantAdmin = source.Client((await ApiFixture.OkJsonAsync(await admin.PostAsJsonAsync("/v1/keys", new { tenant = "source", role = "TenantAdmin" }))).GetProperty("key").GetString());
        await ProblemAssert.IsProblemAsync(await tenantAdmin.SendAsync(Export("source", Passphrase)), HttpStatusCode.Forbidden, "forbidden");
        var missing = await ProblemAssert.IsProblemAsync(await admin.SendAsync(Export("source", "short")), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("X-Archive-Passphrase", missing.GetProperty("field").GetString());

        var exported = await admin.SendAsync(Export("source", Passphrase));
        Assert.Equal(HttpStatusCode.OK, exported.StatusCode);
        var archive = await exported.Content.ReadAsByteArrayAsync();

        // Sealed: neither a subject, nor a face id, nor a run of the photo is readable in it.
        var annPhoto = TestPaths.Photo("img10.jpg");
        Assert.True(archive.AsSpan().IndexOf("\"ann\""u8) < 0);
        Assert.True(archive.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(faces.Keys.First())) < 0);
        Assert.True(archive.AsSpan().IndexOf(annPhoto.AsSpan(annPhoto.Length / 2, 32)) < 0);

        await ApiProcess.RunAsync("faceorleans-import-", s => ApiProcess.Pin(s, "moved"), async (target, _) =>
        {
            using var other = target.Client();
            var wrong = await ProblemAssert.IsProblemAsync(await other.SendAsync(Import("moved", archive, "not the passphrase at all")), HttpStatusCode.BadRequest, "archive-unreadable");
            Assert.Contains("passphrase", wrong.GetProperty("detail").GetString(), StringComparison.Ordinal);
            var altered = archive.ToArray();
            altered[^10] ^= 1;
            await ProblemAssert.IsProblemAsync(await other.SendAsync(Import("moved", altered, Passphrase)), HttpStatusCode.BadRequest, "archive-unreadable");
            Assert.Equal(0, (await ApiFixture.OkJsonAsync(await other.GetAsync("/v1/moved/subjects"))).GetProperty("total").GetInt64());

            var imported = await ApiFixture.OkJsonAsync(await other.SendAsync(Import("moved", archive, Passphrase)));
            Assert.Equal((3, 4, 4), (imported.GetProperty("subjects").GetInt32(), imported.GetProperty("faces").GetInt32(), imported.GetProperty("photos").GetInt32()));
            await ProblemAssert.IsProblemAsync(await other.SendAsync(Import("moved", archive, Passphrase)), HttpStatusCode.Conflict, "gallery-not-empty");

            // The same answers, subject for subject and score for score; the same settings, subjects and photos.
            Assert.Equal(before, await IdentifyAllAsync(other, "moved"));
            var config = (await ApiFixture.OkJsonAsync(await other.GetAsync("/v1/moved"))).GetProperty("config");
            Assert.Equal(0.4f, config.GetProperty("identification_threshold").GetSingle());
            Assert.Equal(90, config.GetProperty("audit_retention_days").GetInt32());
            var subjects = (await ApiFixture.OkJsonAsync(await other.GetAsync("/v1/moved/subjects"))).GetProperty("items").EnumerateArray()
                .Select(s => (s.GetProperty("id").GetString(), s.GetProperty("display_name").GetString(), s.GetProperty("face_count").GetInt32())).ToArray();
            Assert.Equal([("ann", "ANN", 2), ("bob", "BOB", 1), ("cy", "CY", 1)], subjects);
            var annFace = faces.First(f => f.Value == "ann").Key;
            Assert.Equal(annPhoto, await (await other.GetAsync($"/v1/moved/subjects/ann/faces/{annFace}/photo")).Content.ReadAsByteArrayAsync());
            Assert.Contains(await AuditActionsAsync(other, "moved"), a => a == "tenant.import");
        });
        Assert.Contains(await AuditActionsAsync(admin, "source"), a => a == "tenant.export");
    });

    /// <summary>Every probe's identify answer as text: per face its match and each candidate's subject, face and similarity.</summary>
    private static async Task<string[]> IdentifyAllAsync(HttpClient client, string tenant)
    {
        var answers = new List<string>();
        foreach (var probe in Probes)
        {
            var identified = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/identify", ApiFixture.WithField(ApiFixture.Form(("image", probe)), "top_k", "3")));
            answers.Add(probe + ": " + string.Join(" | ", identified.GetProperty("faces").EnumerateArray().Select(f =>
                f.GetProperty("match").GetString() + " <- " + string.Join(", ", f.GetProperty("candidates").EnumerateArray().Select(c =>
                    $"{c.GetProperty("subject").GetString()}/{c.GetProperty("face_id").GetString()}={c.GetProperty("similarity").GetSingle():R}")))));
        }

        Assert.Contains(answers, a => a.StartsWith("img2.jpg: ann <- ann/", StringComparison.Ordinal));
        return [.. answers];
    }

    private static async Task<string?[]> AuditActionsAsync(HttpClient client, string tenant) =>
        (await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{tenant}/audit?limit=1000"))).GetProperty("entries").EnumerateArray()
            .Select(e => e.GetProperty("action").GetString()).ToArray();

    private static HttpRequestMessage Export(string tenant, string passphrase) =>
        new(HttpMethod.Post, $"/v1/{tenant}/export") { Headers = { { "X-Archive-Passphrase", passphrase } } };

    private static HttpRequestMessage Import(string tenant, byte[] archive, string passphrase)
    {
        var content = new ByteArrayContent(archive);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new HttpRequestMessage(HttpMethod.Post, $"/v1/{tenant}/import") { Content = content, Headers = { { "X-Archive-Passphrase", passphrase } } };
    }
}
