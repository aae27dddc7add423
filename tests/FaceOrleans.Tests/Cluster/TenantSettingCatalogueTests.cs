using System.Reflection;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// A per-tenant setting is declared once, in <see cref="TenantSettings.Catalogue"/>: every stored member has exactly
/// one entry, README's settings table is the catalogue's, and what the entries read and write is the member they name.
/// </summary>
public sealed class TenantSettingCatalogueTests
{
    private const string TableHeading = "**Tenant settings.**";

    [Fact]
    public void Every_stored_member_has_exactly_one_entry_and_every_entry_one_member_and_one_name()
    {
        var members = typeof(TenantSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).Order().ToArray();

        Assert.Equal(members, TenantSettings.Catalogue.Select(s => s.Property).Order().ToArray());
        Assert.Equal(TenantSettings.Catalogue.Count, TenantSettings.Catalogue.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public void Readmes_settings_table_is_the_catalogue()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var start = readme.IndexOf(TableHeading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README has no paragraph starting {TableHeading}");
        var rows = readme[start..].Split('\n').SkipWhile(l => !l.StartsWith('|')).Skip(2).TakeWhile(l => l.StartsWith('|')).ToArray();

        Assert.Equal(TenantSettings.Catalogue.Select(Row), rows);
    }

    [Fact]
    public void Each_entry_reads_and_writes_the_member_it_names_and_resolves_the_value_it_stores()
    {
        // Every member away from its default, each a valid value.
        var stored = new TenantSettings("Front desk", 0.31f, 0.61f, 12_000_000, true, 0.47f, 52, 41, 22, 17, DetectionMode.Thorough, 30, 10, 25);
        var defaults = new FaceOptions(0.3f, 0.7f, ImageLimits.Default, 0.42f, QualityLimits.Default, DetectionMode.Fast);

        stored.ThrowIfInvalid();
        var resolved = TenantSettings.Catalogue.Aggregate(defaults, (options, setting) => setting.Resolve(options, RequestOptions.None, stored));
        var captured = TenantSettings.Catalogue.Aggregate(stored with { DisplayName = null, StoreEnrollmentPhotos = false }, (settings, setting) => setting.Capture(resolved, settings));

        Assert.Equal(new FaceOptions(0.31f, 0.61f, ImageLimits.Default with { MaxPixels = 12_000_000 }, 0.47f, new QualityLimits(52, 41, 22, 17), DetectionMode.Thorough), resolved);
        Assert.Equal(stored with { DisplayName = null, StoreEnrollmentPhotos = false }, captured);
    }

    [Fact]
    public void A_value_out_of_range_is_refused_under_the_name_the_catalogue_gives_it()
    {
        var refused = Assert.Throws<RequestRejectedException>(() => new TenantSettings(MinInterEyePixels: -1).ThrowIfInvalid());
        var call = Assert.Throws<RequestRejectedException>(() => new RequestOptions(DetectionMode: (DetectionMode)9).ThrowIfInvalid());

        Assert.Equal(("min_inter_eye_px", "min_inter_eye_px must be between 0 and 10000"), (refused.Field, refused.Message));
        Assert.Equal(("mode", "mode must be fast or thorough"), (call.Field, call.Message));
    }

    private static string Row(TenantSetting s) =>
        $"| `{s.Name}` | {s.Type} | {s.Default} | {s.Rule?.Bounds ?? "any"} | {(s.CallField is null ? "—" : $"`{s.CallField}`")} | {s.Description} |";
}
