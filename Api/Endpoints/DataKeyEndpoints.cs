using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FaceOrleans.Api.Endpoints;

/// <summary>
/// A tenant's encryption at rest: whether new rows are sealed, the master key's id, the active data key, every key
/// with the faces, photos and subjects it sealed (a null key: rows still in the clear), and the background
/// re-sealing's progress (the share of rows under the active key).
/// </summary>
public sealed record DataKeyStatusResponse(string Tenant, bool Sealing, string MasterKeyId, int? ActiveKeyId, IReadOnlyList<DataKeyRows> Keys,
    long Rows, long RowsToSeal, double Progress)
{
    public static DataKeyStatusResponse From(string tenant, DataKeyStatus status) => new(tenant, status.Sealing, status.MasterKeyId, status.ActiveKeyId,
        status.Keys, status.Rows, status.RowsToSeal, status.Rows == 0 ? 1 : (status.Rows - status.RowsToSeal) / (double)status.Rows);
}

internal static class DataKeyEndpoints
{
    public static void MapDataKeyEndpoints(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/v1/{tenant}").WithTags("Tenants");

        keys.MapGet("/data-keys", GetDataKeys)
            .WithName("GetDataKeys")
            .WithSummary("The tenant's data keys: the active one, rows sealed per key, and the re-sealing's progress (admin).")
            .RequireAdmin();

        keys.MapPost("/data-keys/rotate", RotateDataKey)
            .WithName("RotateDataKey")
            .WithSummary("Seal new rows under a new data key and re-seal older rows under it in the background (admin).")
            .RequireAdmin();
    }

    private static async Task<Ok<DataKeyStatusResponse>> GetDataKeys(string tenant, IClusterClient cluster) =>
        TypedResults.Ok(DataKeyStatusResponse.From(tenant, await cluster.GetGrain<ITenantKeysGrain>(tenant).GetStatus()));

    private static async Task<Ok<DataKeyStatusResponse>> RotateDataKey(string tenant, IClusterClient cluster) =>
        TypedResults.Ok(DataKeyStatusResponse.From(tenant, await cluster.GetGrain<ITenantKeysGrain>(tenant).Rotate()));
}
