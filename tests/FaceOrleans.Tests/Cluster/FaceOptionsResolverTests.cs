using FaceOrleans.Contracts;
using FaceOrleans.Grains;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Cluster;

public sealed class FaceOptionsResolverTests
{
    private static readonly FaceOptions ModelDefaults = new(0.3f, 0.7f, ImageLimits.Default, 0.4f, QualityLimits.Default, DetectionMode.Fast);

    [Fact]
    public void The_call_wins_then_the_tenant_then_the_model()
    {
        var tenant = new TenantSettings(SimilarityThreshold: 0.5f, DetectionThreshold: 0.8f);

        var fromModel = FaceOptionsResolver.Resolve(RequestOptions.None, TenantSettings.Default, ModelDefaults);
        var fromTenant = FaceOptionsResolver.Resolve(RequestOptions.None, tenant, ModelDefaults);
        var fromCall = FaceOptionsResolver.Resolve(new RequestOptions(0.3f, 0.9f), tenant, ModelDefaults);

        Assert.Equal(ModelDefaults, fromModel);
        Assert.Equal((0.5f, 0.8f), (fromTenant.SimilarityThreshold, fromTenant.DetectionThreshold));
        Assert.Equal((0.3f, 0.9f), (fromCall.SimilarityThreshold, fromCall.DetectionThreshold));
    }

    [Fact]
    public void The_identification_threshold_resolves_on_its_own_from_the_call_the_tenant_then_the_model()
    {
        var tenant = new TenantSettings(SimilarityThreshold: 0.35f, IdentificationThreshold: 0.5f);

        var fromModel = FaceOptionsResolver.Resolve(new RequestOptions(SimilarityThreshold: 0.33f), TenantSettings.Default, ModelDefaults);
        var fromTenant = FaceOptionsResolver.Resolve(RequestOptions.None, tenant, ModelDefaults);
        var fromCall = FaceOptionsResolver.Resolve(new RequestOptions(IdentificationThreshold: 0.6f), tenant, ModelDefaults);

        Assert.Equal((0.33f, 0.4f), (fromModel.SimilarityThreshold, fromModel.IdentificationThreshold));
        Assert.Equal((0.35f, 0.5f), (fromTenant.SimilarityThreshold, fromTenant.IdentificationThreshold));
        Assert.Equal((0.35f, 0.6f), (fromCall.SimilarityThreshold, fromCall.IdentificationThreshold));
        var refused = Assert.Throws<RequestRejectedException>(() =>
            FaceOptionsResolver.Resolve(new RequestOptions(IdentificationThreshold: 1.5f), TenantSettings.Default, ModelDefaults));
        Assert.Equal((RejectionCode.InvalidParameter, "threshold"), (refused.Code, refused.Field));
        Assert.Throws<RequestRejectedException>(() => new TenantSettings(IdentificationThreshold: 0f).ThrowIfInvalid());
    }

    [Fact]
    public void Quality_limits_and_the_detection_mode_come_from_the_tenant_else_the_defaults_and_the_mode_from_the_call_first()
    {
        var tenant = new TenantSettings(MinInterEyePixels: 60, MaxYawDegrees: 20, DetectionMode: DetectionMode.Thorough);

        var byDefault = FaceOptionsResolver.Resolve(RequestOptions.None, TenantSettings.Default, ModelDefaults);
        var byTenant = FaceOptionsResolver.Resolve(RequestOptions.None, tenant, ModelDefaults);
        var byCall = FaceOptionsResolver.Resolve(new RequestOptions(DetectionMode: DetectionMode.Fast), tenant, ModelDefaults);

        Assert.Equal((QualityLimits.Default, DetectionMode.Fast), (byDefault.Quality, byDefault.Detection));
        Assert.Equal(QualityLimits.Default with { MinInterEyeDistance = 60, MaxYaw = 20 }, byTenant.Quality);
        Assert.Equal(DetectionMode.Thorough, byTenant.Detection);
        Assert.Equal(DetectionMode.Fast, byCall.Detection);
        var refused = Assert.Throws<RequestRejectedException>(() => new TenantSettings(MaxYawDegrees: 120, MinSharpness: -1).ThrowIfInvalid());
        Assert.Contains("max_yaw must be between 0 and 90", refused.Message, StringComparison.Ordinal);
        Assert.Contains("min_sharpness must be between", refused.Message, StringComparison.Ordinal);
        Assert.Throws<RequestRejectedException>(() => new TenantSettings(DetectionMode: (DetectionMode)7).ThrowIfInvalid());
    }

    [Fact]
    public void The_pixel_limit_is_the_smaller_of_the_calls_and_the_tenants_else_the_default()
    {
        var tenant = new TenantSettings(MaxImagePixels: 12_000_000);

        Assert.Equal(12_000_000, FaceOptionsResolver.Resolve(RequestOptions.None, tenant, ModelDefaults).Limits.MaxPixels);
        Assert.Equal(3_000_000, FaceOptionsResolver.Resolve(new RequestOptions(MaxImagePixels: 3_000_000), tenant, ModelDefaults).Limits.MaxPixels);
        Assert.Equal(12_000_000, FaceOptionsResolver.Resolve(new RequestOptions(MaxImagePixels: 90_000_000), tenant, ModelDefaults).Limits.MaxPixels);
        Assert.Equal(ImageLimits.Default.MaxPixels, FaceOptionsResolver.Resolve(RequestOptions.None, TenantSettings.Default, ModelDefaults).Limits.MaxPixels);
        // A tenant may also raise the limit above the default.
        Assert.Equal(90_000_000, FaceOptionsResolver.Resolve(RequestOptions.None, new TenantSettings(MaxImagePixels: 90_000_000), ModelDefaults).Limits.MaxPixels);
    }

    [Fact]
    public void Values_out_of_range_are_refused_naming_the_field_and_every_problem()
    {
        var one = Assert.Throws<RequestRejectedException>(() =>
            FaceOptionsResolver.Resolve(new RequestOptions(SimilarityThreshold: 1f), TenantSettings.Default, ModelDefaults));
        var two = Assert.Throws<RequestRejectedException>(() =>
            FaceOptionsResolver.Resolve(new RequestOptions(float.NaN, -0.1f), TenantSettings.Default, ModelDefaults));

        Assert.Equal((RejectionCode.InvalidParameter, "threshold"), (one.Code, one.Field));
        Assert.Equal("threshold must be between 0 and 1 (exclusive)", one.Message);
        Assert.Null(two.Field);
        Assert.Contains("threshold must be", two.Message, StringComparison.Ordinal);
        Assert.Contains("det_threshold must be", two.Message, StringComparison.Ordinal);
    }
}
