using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>
/// One per-tenant setting, declared once, in <see cref="TenantSettings.Catalogue"/>: its JSON name, type, default,
/// bounds, and whether (as which form field) one call may override it, with how it is read from the stored
/// settings, from a call and from the resolved <see cref="FaceOptions"/>. The validation of both the tenant's and a
/// call's values, the resolution of a request's options, the options' wire form, the JSON body of
/// <c>PUT /v1/{tenant}/config</c> and README's settings table all come from these entries; a test holds README's
/// table and the stored record's members to them.
/// </summary>
public abstract class TenantSetting
{
    /// <summary>The JSON member (<c>PUT /v1/{tenant}/config</c>), the field a refusal names, README's row.</summary>
    public required string Name { get; init; }

    /// <summary>The <see cref="TenantSettings"/> member that stores it.</summary>
    public required string Property { get; init; }

    /// <summary>The JSON type, as README gives it.</summary>
    public required string Type { get; init; }

    /// <summary>What applies while the tenant has not set it, as README gives it.</summary>
    public required string Default { get; init; }

    /// <summary>What it is for, as README gives it.</summary>
    public required string Description { get; init; }

    /// <summary>The values it may take; null when any value of its type will do.</summary>
    public SettingRule? Rule { get; init; }

    /// <summary>The form field one call overrides it with; null when only the tenant sets it.</summary>
    public string? CallField { get; init; }

    /// <summary>What is wrong with the tenant's value; null when it is valid or not set.</summary>
    public string? Problem(TenantSettings settings) => Rule?.Problem(Stored(settings), Name);

    /// <summary>What is wrong with the call's value, named as its form field; null when it is valid, not given or not a call's to give.</summary>
    public string? CallProblem(RequestOptions call) => CallField is null ? null : Rule?.Problem(FromCall(call), CallField);

    /// <summary><paramref name="options"/> with this setting decided: the call's value, else the tenant's, else the one they already hold (the model's).</summary>
    public abstract FaceOptions Resolve(FaceOptions options, RequestOptions request, TenantSettings tenant);

    /// <summary><paramref name="into"/> holding this setting's value from resolved <paramref name="options"/>: how the options cross the wire.</summary>
    public abstract TenantSettings Capture(FaceOptions options, TenantSettings into);

    /// <summary><paramref name="into"/> with this setting's value from <paramref name="captured"/> (see <see cref="Capture"/>).</summary>
    public abstract FaceOptions Restore(TenantSettings captured, FaceOptions into);

    private protected abstract object? Stored(TenantSettings settings);

    private protected abstract object? FromCall(RequestOptions call);
}

/// <summary>A setting stored as <typeparamref name="T"/> (nullable where "not set" falls back to the model's default).</summary>
public sealed class TenantSetting<T> : TenantSetting
{
    public required Func<TenantSettings, T> Get { get; init; }

    public required Func<TenantSettings, T, TenantSettings> Set { get; init; }

    /// <summary>The call's value (with <see cref="TenantSetting.CallField"/>).</summary>
    public Func<RequestOptions, T>? Call { get; init; }

    /// <summary>A call's value and the tenant's, both given, made one; unset: the call's wins.</summary>
    public Func<T, T, T>? Combine { get; init; }

    /// <summary>The value the pipeline runs with; null for a setting the pipeline never sees (the grains read it from the tenant's record).</summary>
    public Func<FaceOptions, T>? Resolved { get; init; }

    /// <summary>Puts a value (never "not set") into the options the pipeline runs with.</summary>
    public Func<FaceOptions, T, FaceOptions>? Apply { get; init; }

    public override FaceOptions Resolve(FaceOptions options, RequestOptions request, TenantSettings tenant)
    {
        var fromCall = Call is null ? default : Call(request);
        var fromTenant = Get(tenant);
        var value = fromCall is null ? fromTenant
            : fromTenant is null || Combine is null ? fromCall
            : Combine(fromCall, fromTenant);
        return Apply is null || value is null ? options : Apply(options, value);
    }

    public override TenantSettings Capture(FaceOptions options, TenantSettings into) => Resolved is null ? into : Set(into, Resolved(options));

    public override FaceOptions Restore(TenantSettings captured, FaceOptions into) =>
        Apply is null || Get(captured) is not { } value ? into : Apply(into, value);

    private protected override object? Stored(TenantSettings settings) => Get(settings);

    private protected override object? FromCall(RequestOptions call) => Call is null ? null : Call(call);
}
