using System.Numerics.Tensors;
using FaceOrleans.Grains;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// One shard's faces in memory: every embedding in one contiguous float array (no per-face object), with exact
/// cosine search by SIMD dot products. Search ranks subjects by their best face, so a subject enrolled five
/// times takes one place in the top-k, not five. Not thread-safe: a shard grain owns one.
/// </summary>
public sealed class GalleryIndex
{
    private readonly Dictionary<string, int> _rowOfFace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _ordinalOfSubject = new(StringComparer.Ordinal);
    private readonly List<string> _subjects = [];
    private float[] _vectors = [];
    private string[] _faceIds = [];
    private int[] _subjectOfRow = [];

    public int Count { get; private set; }

    public int Dimension { get; private set; }

    public bool Contains(string faceId) => _rowOfFace.ContainsKey(faceId);

    public void Add(string faceId, string subjectId, ReadOnlySpan<float> embedding)
    {
        if (Count == 0 && Dimension == 0)
        {
            Dimension = embedding.Length;
        }
        else if (embedding.Length != Dimension)
        {
            throw new ArgumentException($"This gallery holds {Dimension}-d embeddings; got {embedding.Length}-d.", nameof(embedding));
        }

        if (_rowOfFace.ContainsKey(faceId))
        {
            return;
        }

        EnsureCapacity(Count + 1);
        embedding.CopyTo(_vectors.AsSpan(Count * Dimension, Dimension));
        _faceIds[Count] = faceId;
        _subjectOfRow[Count] = OrdinalOf(subjectId);
        _rowOfFace[faceId] = Count;
        Count++;
    }

    public bool Remove(string faceId)
    {
        if (!_rowOfFace.Remove(faceId, out var row))
        {
            return false;
        }

        // Move the last row into the hole so the rows stay contiguous for the scan.
        var last = Count - 1;
        if (row != last)
        {
            _vectors.AsSpan(last * Dimension, Dimension).CopyTo(_vectors.AsSpan(row * Dimension, Dimension));
            _faceIds[row] = _faceIds[last];
            _subjectOfRow[row] = _subjectOfRow[last];
            _rowOfFace[_faceIds[row]] = row;
        }

        _faceIds[last] = null!;
        Count--;
        return true;
    }

    public int RemoveSubject(string subjectId)
    {
        if (!_ordinalOfSubject.TryGetValue(subjectId, out var ordinal))
        {
            return 0;
        }

        var faces = Enumerable.Range(0, Count).Where(r => _subjectOfRow[r] == ordinal).Select(r => _faceIds[r]).ToArray();
        foreach (var face in faces)
        {
            Remove(face);
        }

        return faces.Length;
    }

    /// <summary>The top-k subjects by best cosine similarity to <paramref name="query"/> (unit vectors assumed).</summary>
    public IReadOnlyList<Candidate> Search(ReadOnlySpan<float> query, int topK, string? onlySubject = null)
    {
        if (Count == 0 || topK <= 0)
        {
            return [];
        }

        if (query.Length != Dimension)
        {
            throw new ArgumentException($"This gallery holds {Dimension}-d embeddings; the query is {query.Length}-d.", nameof(query));
        }

        var only = -1;
        if (onlySubject is not null && !_ordinalOfSubject.TryGetValue(onlySubject, out only))
        {
            return [];
        }

        var bestScore = new float[_subjects.Count];
        var bestRow = new int[_subjects.Count];
        Array.Fill(bestScore, float.NegativeInfinity);
        for (var row = 0; row < Count; row++)
        {
            var subject = _subjectOfRow[row];
            if (only >= 0 && subject != only)
            {
                continue;
            }

            var score = TensorPrimitives.Dot(query, _vectors.AsSpan(row * Dimension, Dimension));
            if (score > bestScore[subject])
            {
                bestScore[subject] = score;
                bestRow[subject] = row;
            }
        }

        var top = new PriorityQueue<int, float>(topK + 1);
        for (var subject = 0; subject < bestScore.Length; subject++)
        {
            if (float.IsNegativeInfinity(bestScore[subject]))
            {
                continue;
            }

            top.Enqueue(subject, bestScore[subject]);
            if (top.Count > topK)
            {
                top.Dequeue();
            }
        }

        var result = new Candidate[top.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            var subject = top.Dequeue();
            result[i] = new Candidate(_subjects[subject], _faceIds[bestRow[subject]], bestScore[subject]);
        }

        return result;
    }

    /// <summary>Drops the spare capacity left by growth, e.g. once a shard has loaded from the store.</summary>
    public void TrimExcess()
    {
        Array.Resize(ref _vectors, Count * Dimension);
        Array.Resize(ref _faceIds, Count);
        Array.Resize(ref _subjectOfRow, Count);
        _rowOfFace.TrimExcess();
    }

    private int OrdinalOf(string subjectId)
    {
        if (!_ordinalOfSubject.TryGetValue(subjectId, out var ordinal))
        {
            ordinal = _subjects.Count;
            _subjects.Add(subjectId);
            _ordinalOfSubject[subjectId] = ordinal;
        }

        return ordinal;
    }

    private void EnsureCapacity(int rows)
    {
        if (rows <= _faceIds.Length)
        {
            return;
        }

        var capacity = Math.Max(rows, Math.Max(64, _faceIds.Length * 2));
        Array.Resize(ref _vectors, capacity * Dimension);
        Array.Resize(ref _faceIds, capacity);
        Array.Resize(ref _subjectOfRow, capacity);
    }
}
