using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// IAuditGrain.Append is [Idempotent], so the API resends it when a silo or gateway dies with it in flight: a resend
/// of the same request's record must not add a second entry to the tenant's trail.
/// </summary>
[Collection(SliceClusterGroup.Name)]
public sealed class AuditAppendTests(SliceClusterFixture fixture)
{
    [Fact]
    public async Task The_same_requests_record_sent_again_returns_the_first_entry_and_adds_none()
    {
        var trail = fixture.Client.GetGrain<IAuditGrain>("attendance");
        var requestId = "resend-" + Guid.NewGuid().ToString("N");
        var record = new AuditRecord("compare", "POST /v1/{tenant}/compare", 200, "k1", "127.0.0.1", requestId, [new AuditSubject(null, 0.8f, true)]);

        var first = await trail.Append(record);
        var again = await trail.Append(record);
        var other = await trail.Append(record with { Action = "identify" });
        var page = await trail.Query(new AuditQuery(Limit: 1000));

        Assert.Equal(first.Sequence, again.Sequence);
        Assert.Equal(first.Hash, again.Hash);
        Assert.Equal(first.Sequence + 1, other.Sequence);
        Assert.Single(page.Entries, e => e.Record.RequestId == requestId && e.Record.Action == "compare");
        Assert.True((await trail.Verify()).Ok);
    }
}
