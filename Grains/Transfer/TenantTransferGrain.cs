using FaceOrleans.Grains.Gallery;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Vision;

namespace FaceOrleans.Grains.Transfer;

/// <summary>
/// Reads a tenant out of its store (settings, subjects, every face of every shard with its embedding and recognizer,
/// photos where kept) and writes one into an empty gallery through the shards, so the imported faces are indexed as
/// an enrollment's are, under the same ids, with the same embeddings: identify answers as it did. Not reentrant: an
/// import never overlaps another. Everything travels in one message, so it suits galleries of up to tens of
/// thousands of faces (Orleans' message size limit, 100 MB by default).
/// </summary>
[TenantScoped]
[GrainType("tenanttransfer")]
public sealed class TenantTransferGrain(IGalleryStore store) : Grain, ITenantTransferGrain
{
    private const int Page = 1000;

    private string Tenant => this.GetPrimaryKeyString();

    public async Task<TenantExport> Export()
    {
        var settings = await GrainFactory.GetGrain<ITenantGrain>(Tenant).GetSettings();
        var subjects = new List<SubjectInfo>();
        for (var offset = 0; ; offset += Page)
        {
            var (items, total) = await store.ListSubjectsAsync(Tenant, offset, Page);
            subjects.AddRange(items);
            if (items.Count < Page || subjects.Count >= total)
            {
                break;
            }
        }

        var faces = new List<ExportedFace>();
        foreach (var shard in (await LayoutAsync()).AllShards)
        {
            await foreach (var face in store.LoadShardAsync(Tenant, shard))
            {
                faces.Add(new ExportedFace(face.FaceId, face.SubjectId, face.Embedding, face.Model,
                    await store.GetPhotoAsync(Tenant, face.SubjectId, face.FaceId)));
            }
        }

        return new TenantExport(TenantExport.CurrentVersion, Tenant, DateTimeOffset.UtcNow, settings, subjects, faces);
    }

    public async Task<ImportReport> Import(TenantExport archive)
    {
        if ((await store.ListSubjectsAsync(Tenant, 0, 1)).Total > 0)
        {
            throw new RequestRejectedException(RejectionCode.GalleryNotEmpty, null,
                $"Tenant '{Tenant}' already has subjects: import into an empty tenant (delete it first, DELETE /v1/{Tenant}?confirm={Tenant}).");
        }

        var layout = await LayoutAsync();
        if (layout.IsResharding)
        {
            throw new RequestRejectedException(RejectionCode.ReshardInProgress, null, "The gallery is being re-sharded; import once it is done.");
        }

        await GrainFactory.GetGrain<ITenantGrain>(Tenant).Configure(archive.Settings);
        foreach (var subject in archive.Subjects)
        {
            await store.CreateSubjectAsync(Tenant, subject with { FaceCount = 0 });
        }

        // Each shard takes its faces one at a time, in order; different shards in parallel.
        await Task.WhenAll(archive.Faces.GroupBy(f => layout.ShardFor(f.FaceId)).Select(async shard =>
        {
            var grain = GrainFactory.GetGrain<IGalleryShardGrain>($"{Tenant}/{shard.Key}");
            foreach (var face in shard)
            {
                await grain.Add(face.FaceId, face.SubjectId, face.Embedding, face.Model, face.Photo);
            }
        }));
        return new ImportReport(archive.Subjects.Count, archive.Faces.Count, archive.Faces.Count(f => f.Photo is not null));
    }

    /// <summary>The gallery's layout as its grain sees it: the recorded one, or the configured count from shard 0.</summary>
    private async Task<GalleryLayout> LayoutAsync()
    {
        if (await store.GetLayoutAsync(Tenant) is { } recorded)
        {
            return recorded;
        }

        var status = await GrainFactory.GetGrain<IGalleryGrain>(Tenant).GetStatus();
        return new GalleryLayout(0, status.Shards);
    }
}
