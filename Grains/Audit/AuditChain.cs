using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceOrleans.Grains.Audit;

/// <summary>One stored entry: the canonical content the hash covers, with the columns a store filters on.</summary>
public sealed record StoredAuditEntry(long Sequence, long TimeMs, string Action, string Content, string PreviousHash, string Hash);

/// <summary>
/// The chain's head (the last entry appended) and its anchor: the entry just before the first one kept (sequence 0
/// and <see cref="AuditChain.Genesis"/> for a trail nothing was ever removed from).
/// </summary>
public sealed record AuditHead(long Sequence, string Hash, long AnchorSequence, string AnchorHash)
{
    public static readonly AuditHead Empty = new(0, AuditChain.Genesis, 0, AuditChain.Genesis);
}

/// <summary>
/// The hash chain: an entry's canonical content is a JSON document of fixed shape (its sequence number, time in
/// Unix milliseconds and record), and its hash is sha256 of the previous entry's hash bytes followed by that
/// content's UTF-8 bytes, so altering, removing or reordering any entry breaks the chain from there on.
/// </summary>
public static class AuditChain
{
    public static readonly string Genesis = new('0', 64);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static StoredAuditEntry Seal(long sequence, DateTimeOffset time, AuditRecord record, string previousHash)
    {
        var timeMs = time.ToUnixTimeMilliseconds();
        var content = JsonSerializer.Serialize(new Content(sequence, timeMs, record), Json);
        return new StoredAuditEntry(sequence, timeMs, record.Action, content, previousHash, Hash(previousHash, content));
    }

    public static string Hash(string previousHash, string content)
    {
        var previous = Convert.FromHexString(previousHash);
        var bytes = new byte[previous.Length + Encoding.UTF8.GetByteCount(content)];
        previous.CopyTo(bytes, 0);
        Encoding.UTF8.GetBytes(content, bytes.AsSpan(previous.Length));
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The entry as stored; its record is read back from the content the hash covers, not from the filter columns.</summary>
    public static AuditEntry Open(StoredAuditEntry stored)
    {
        var content = Read(stored.Content) ?? throw new InvalidDataException($"Audit entry {stored.Sequence} cannot be read.");
        return new AuditEntry(stored.Sequence, DateTimeOffset.FromUnixTimeMilliseconds(content.TimeMs), content.Record, stored.PreviousHash, stored.Hash);
    }

    /// <summary>Whether the entry passes the query's filters (a store that cannot filter in place asks this).</summary>
    public static bool Matches(StoredAuditEntry stored, AuditQuery query) =>
        (query.From is null || stored.TimeMs >= query.From.Value.ToUnixTimeMilliseconds())
        && (query.To is null || stored.TimeMs < query.To.Value.ToUnixTimeMilliseconds())
        && (query.Action is null || string.Equals(stored.Action, query.Action, StringComparison.Ordinal))
        && (query.Subject is null || Read(stored.Content)?.Record.Subjects.Any(s => s.Subject == query.Subject) == true);

    /// <summary>
    /// Checks <paramref name="entries"/> (in sequence order, as stored) against the chain from <paramref name="head"/>'s
    /// anchor to its head: the first entry missing, out of place, not chained to its predecessor or altered.
    /// </summary>
    public static async Task<AuditVerification> VerifyAsync(AuditHead head, IAsyncEnumerable<StoredAuditEntry> entries)
    {
        var expected = head.AnchorSequence + 1;
        var previous = head.AnchorHash;
        long count = 0;
        await foreach (var entry in entries)
        {
            var problem = entry.Sequence > expected ? (expected, $"entry {expected} is missing")
                : entry.Sequence < expected ? (entry.Sequence, $"entry {entry.Sequence} is out of place (expected {expected})")
                : entry.PreviousHash != previous ? (entry.Sequence, $"entry {entry.Sequence} does not chain to entry {expected - 1}")
                : Hash(entry.PreviousHash, entry.Content) != entry.Hash ? (entry.Sequence, $"entry {entry.Sequence} was altered: its content does not hash to its hash")
                : Read(entry.Content) is not { } content || content.Sequence != entry.Sequence || content.TimeMs != entry.TimeMs || content.Record.Action != entry.Action
                    ? (entry.Sequence, $"entry {entry.Sequence} was altered: its columns differ from its content")
                    : ((long, string)?)null;
            if (problem is { } broken)
            {
                return new AuditVerification(false, count, head.AnchorSequence + 1, head.Sequence, head.Hash, broken.Item1, broken.Item2);
            }

            count++;
            expected++;
            previous = entry.Hash;
        }

        return expected - 1 != head.Sequence
            ? new AuditVerification(false, count, head.AnchorSequence + 1, head.Sequence, head.Hash, expected, $"entries {expected} to {head.Sequence} are missing")
            : previous != head.Hash
                ? new AuditVerification(false, count, head.AnchorSequence + 1, head.Sequence, head.Hash, head.Sequence, $"entry {head.Sequence} is not the recorded head")
                : new AuditVerification(true, count, head.AnchorSequence + 1, head.Sequence, head.Hash);
    }

    private static Content? Read(string content)
    {
        try
        {
            return JsonSerializer.Deserialize<Content>(content, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Field order is the canonical order: it is the hashed text, so it must never change for stored entries.
    private sealed record Content(long Sequence, long TimeMs, AuditRecord Record);
}
