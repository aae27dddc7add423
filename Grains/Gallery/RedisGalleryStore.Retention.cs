using StackExchange.Redis;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Retention's view of the Redis gallery: when each face was enrolled (the tenant's <c>…:enrolled</c> hash, face id to
/// Unix milliseconds, written and deleted with the face), and the photos and subjects that are due.
/// </summary>
public sealed partial class RedisGalleryStore
{
    private long Now => (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<IReadOnlyList<string>> SubjectsNotRefreshedSinceAsync(string tenant, DateTimeOffset before)
    {
        var due = new List<string>();
        var ring = await ReadRingAsync(tenant);
        foreach (var subject in await Db.HashGetAllAsync(Subjects(tenant)))
        {
            var faces = (await Db.SetMembersAsync(FacesOf(tenant, subject.Name!))).Select(m => (RedisValue)SplitMember(m!).FaceId).ToArray();
            // The subject record is sealed like every other (RedisGalleryStore.Protection.cs); its creation time is inside.
            var record = OpenSubject(ring, subject.Name!, (byte[])subject.Value!);
            var refreshed = ToInfo(subject.Name!, record, faces.Length).CreatedUtc.ToUnixTimeMilliseconds();
            if (faces.Length > 0)
            {
                await StampUntimedAsync(tenant, faces);
                refreshed = (await Db.HashGetAsync(Enrolled(tenant), faces)).Max(t => (long)t);
            }

            if (refreshed < before.ToUnixTimeMilliseconds())
            {
                due.Add(subject.Name!);
            }
        }

        return due;
    }

    public async Task<int> DeletePhotosEnrolledBeforeAsync(string tenant, DateTimeOffset before)
    {
        var photos = await Db.HashKeysAsync(Photos(tenant));
        if (photos.Length == 0)
        {
            return 0;
        }

        await StampUntimedAsync(tenant, photos);
        var times = await Db.HashGetAsync(Enrolled(tenant), photos);
        var due = photos.Where((_, i) => (long)times[i] < before.ToUnixTimeMilliseconds()).ToArray();
        return due.Length == 0 ? 0 : (int)await Db.HashDeleteAsync(Photos(tenant), due);
    }

    /// <summary>Faces enrolled before enrollment times were kept start their time at the first sweep that sees them.</summary>
    private async Task StampUntimedAsync(string tenant, RedisValue[] faceIds)
    {
        var now = Now;
        foreach (var faceId in faceIds)
        {
            await Db.HashSetAsync(Enrolled(tenant), faceId, now, When.NotExists);
        }
    }

    private RedisKey Enrolled(string tenant) => Prefix(tenant) + ":enrolled";
}
