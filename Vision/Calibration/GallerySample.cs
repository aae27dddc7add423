using System.IO.Hashing;
using System.Text;

namespace FaceOrleans.Vision;

/// <summary>One enrolled face's embedding and whose it is.</summary>
public sealed record LabelledEmbedding(string FaceId, string Subject, float[] Vector);

/// <summary>
/// At most <c>maxFaces</c> faces of a gallery streamed in any order, kept as whole subjects: the subjects with the
/// smallest hash of their id, as many as fit. Whole subjects keep every same-person pair a kept subject has (a
/// sample of faces would lose them quadratically), and the hash makes the sample the same whatever order the store
/// returns faces in: the result is always the longest run of subjects, in hash order, whose faces fit. Memory holds
/// only the kept faces.
/// </summary>
public sealed class GallerySample(int maxFaces)
{
    private readonly Dictionary<(ulong Hash, string Subject), Dictionary<string, LabelledEmbedding>> _subjects = [];
    private readonly SortedSet<(ulong Hash, string Subject)> _order = new(Comparer<(ulong Hash, string Subject)>.Create(
        (a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : string.CompareOrdinal(a.Subject, b.Subject)));
    private ulong _cutoff = ulong.MaxValue;
    private int _kept;

    /// <summary>Faces offered, whether kept or not.</summary>
    public long FacesRead { get; private set; }

    /// <summary>Whether subjects were left out to stay within the face cap.</summary>
    public bool Truncated => _cutoff != ulong.MaxValue;

    public void Add(LabelledEmbedding face)
    {
        ArgumentNullException.ThrowIfNull(face);
        FacesRead++;
        var hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(face.Subject));
        if (hash >= _cutoff)
        {
            return;
        }

        var key = (hash, face.Subject);
        if (!_subjects.TryGetValue(key, out var faces))
        {
            _subjects[key] = faces = new Dictionary<string, LabelledEmbedding>(StringComparer.Ordinal);
            _order.Add(key);
        }

        // A face read twice (a store moving faces between shards) counts once.
        if (!faces.TryAdd(face.FaceId, face))
        {
            return;
        }

        _kept++;
        while (_kept > maxFaces)
        {
            // Drop the subject last in hash order, and every later one for good.
            var last = _order.Max;
            _kept -= _subjects[last].Count;
            _subjects.Remove(last);
            _order.Remove(last);
            _cutoff = last.Hash;
        }
    }

    /// <summary>The kept faces, ordered by subject then face id, so every run sees them in the same order.</summary>
    public IReadOnlyList<LabelledEmbedding> Faces() =>
        _subjects.Values.SelectMany(f => f.Values).OrderBy(f => f.Subject, StringComparer.Ordinal).ThenBy(f => f.FaceId, StringComparer.Ordinal).ToArray();
}
