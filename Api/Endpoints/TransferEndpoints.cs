using FaceOrleans.Api.Hosting;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Endpoints;

/// <summary>A tenant's export as one encrypted archive, and its import into an empty tenant (admin).</summary>
internal static class TransferEndpoints
{
    public static void MapTransferEndpoints(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<ApiOptions>>().Value;
        var tenants = app.MapGroup("/v1/{tenant}").WithTags("Tenants");

        tenants.MapPost("/export", async (string tenant, HttpContext http, IClusterClient cluster) =>
            {
                var passphrase = TenantArchive.Passphrase(http);
                var export = await cluster.GetGrain<ITenantTransferGrain>(tenant).Export();
                return TypedResults.File(TenantArchive.Seal(export, passphrase), "application/octet-stream", $"{tenant}.foarchive");
            })
            .WithName("ExportTenant")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .WithSummary("The tenant's settings, subjects, faces (embeddings and their recognizer) and kept photos as one archive, " +
                "AES-256-GCM under a key derived from the X-Archive-Passphrase header (admin).")
            .RequireAdmin().Audited("tenant.export");

        tenants.MapPost("/import", async (string tenant, HttpContext http, IClusterClient cluster, CancellationToken cancellationToken) =>
            {
                var passphrase = TenantArchive.Passphrase(http);
                using var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body, cancellationToken);
                var report = await cluster.GetGrain<ITenantTransferGrain>(tenant).Import(TenantArchive.Open(body.ToArray(), passphrase));
                return TypedResults.Ok(new ImportResponse(tenant, report.Subjects, report.Faces, report.Photos));
            })
            .WithName("ImportTenant")
            .Accepts<byte[]>("application/octet-stream")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithMetadata(new RequestSizeLimitAttribute(options.MaxBatchUploadBytes))
            .WithSummary("Import an archive made by export into this tenant, which must have no subjects: the same settings, subjects, " +
                "face ids and embeddings, so identify answers as it did (admin; X-Archive-Passphrase).")
            .RequireAdmin().Audited("tenant.import");
    }
}

public sealed record ImportResponse(string Tenant, int Subjects, int Faces, int Photos);
