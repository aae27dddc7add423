using FaceOrleans.Contracts;
using System.Numerics.Tensors;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// The plain exact search the compact <see cref="GalleryIndex"/> must agree with: every float32 embedding in
/// memory, every face scored with TensorPrimitives.Dot, ranked by <see cref="SubjectRanking"/>. It is what the
/// shards ran before the compact index (2 kB of memory per face) and is kept as the reference that tests and
/// the gallery benchmark compare the compact index against, and as the benchmark's baseline. A test oracle, not
/// service code: it lives with the benchmark, and the test project compiles this same file (a linked item), so
/// neither ships in the service's assemblies. It keeps the namespace of the index it checks.
/// </summary>
public sealed class ExactGalleryIndex(int dimension)
{
    private readonly List<string> _faceIds = [];
    private readonly List<int> _subjectOfRow = [];
    private readonly List<string> _subjects = [];
    private readonly Dictionary<string, int> _ordinalOfSubject = new(StringComparer.Ordinal);
    private float[] _vectors = new float[64 * dimension];

    public int Count => _faceIds.Count;

    public void Add(string faceId, string subjectId, ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != dimension)
        {
            throw new ArgumentException($"This gallery holds {dimension}-d embeddings; got {embedding.Length}-d.", nameof(embedding));
        }

        if ((Count + 1) * dimension > _vectors.Length)
        {
            Array.Resize(ref _vectors, _vectors.Length * 2);
        }

        embedding.CopyTo(_vectors.AsSpan(Count * dimension));
        if (!_ordinalOfSubject.TryGetValue(subjectId, out var subject))
        {
            _ordinalOfSubject[subjectId] = subject = _subjects.Count;
            _subjects.Add(subjectId);
        }

        _faceIds.Add(faceId);
        _subjectOfRow.Add(subject);
    }

    /// <summary>Drops the spare capacity left by growth.</summary>
    public void TrimExcess() => Array.Resize(ref _vectors, Count * dimension);

    /// <summary>The exact top-k subjects by best face, scanning <paramref name="partitions"/> row ranges in parallel.</summary>
    public List<Candidate> Search(float[] query, int topK, int partitions = 1)
    {
        var bounds = Enumerable.Range(0, partitions + 1).Select(p => (int)((long)Count * p / partitions)).ToArray();
        var best = new Candidate[partitions][];
        Parallel.For(0, partitions, p => best[p] = BestPerSubject(query, bounds[p], bounds[p + 1]));
        return SubjectRanking.Merge(best.SelectMany(b => b), topK);
    }

    private Candidate[] BestPerSubject(float[] query, int from, int to)
    {
        var score = new float[_subjects.Count];
        var row = new int[_subjects.Count];
        Array.Fill(score, float.NegativeInfinity);
        for (var r = from; r < to; r++)
        {
            var s = TensorPrimitives.Dot(query, _vectors.AsSpan(r * dimension, dimension));
            var subject = _subjectOfRow[r];
            if (float.IsNegativeInfinity(score[subject]) || SubjectRanking.IsBetterFace(s, _faceIds[r], score[subject], _faceIds[row[subject]]))
            {
                score[subject] = s;
                row[subject] = r;
            }
        }

        return Enumerable.Range(0, score.Length).Where(s => !float.IsNegativeInfinity(score[s]))
            .Select(s => new Candidate(_subjects[s], _faceIds[row[s]], score[s])).ToArray();
    }
}
