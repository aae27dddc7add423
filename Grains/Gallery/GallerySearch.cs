using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// One search of a <see cref="GalleryIndex"/>: an int8 scan that bounds every face's exact score, then an exact
/// float32 re-rank of the faces whose bound could still place them in the answer.
/// </summary>
/// <remarks>
/// <para>For each face the scan gets an approximate score A and a slack S with A − S ≤ exact ≤ A + S
/// (<see cref="QuantizedQuery"/>). While scanning, each worker keeps the k best lower bounds A − S of distinct
/// subjects: their k-th, τ, never exceeds the exact k-th best subject score, because each of those subjects has
/// a face at least that good. A face whose upper bound A + S is below τ therefore cannot be any answer
/// subject's best face, nor lift a subject into the answer, and is dropped; the rest is the short list.</para>
/// <para>The re-rank takes the short list by upper bound, best first, and scores each face exactly (the float32
/// embedding read back from the <see cref="VectorFile"/>). It stops only when it holds k subjects and the next
/// upper bound is below the k-th exact subject score so far: no face not scored can then beat or tie any
/// answer. The answer is therefore the exact float32 top-k by subject, with the same tie rule
/// (<see cref="SubjectRanking"/>), by construction rather than by luck.</para>
/// </remarks>
internal sealed class GallerySearch(GalleryIndex index, QuantizedQuery[] queries, int topK, CancellationToken cancellationToken)
{
    private int _nextBlock = -1;

    public async Task<IReadOnlyList<Candidate>[]> RunAsync()
    {
        // Blocks are handed out one at a time, so a worker slowed by a noisy neighbour holds no one up.
        var workers = Math.Clamp(index.Blocks.Count, 1, Environment.ProcessorCount);
        var scans = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(ScanBlocks, cancellationToken)));
        return queries.Select((query, q) => ReRank(query, scans.Select(s => s[q]).ToArray())).ToArray();
    }

    /// <summary>Verification: the subject's best face, scored exactly (a subject has few faces; no scan needed).</summary>
    public IReadOnlyList<Candidate>[] ExactForSubject(string subjectId)
    {
        var results = queries.Select(_ => (IReadOnlyList<Candidate>)[]).ToArray();
        if (!index.TryGetSubject(subjectId, out var ordinal))
        {
            return results;
        }

        var vector = new float[index.Dimension];
        var best = new Candidate?[queries.Length];
        for (var row = 0; row < index.Count; row++)
        {
            var (block, offset) = index.Locate(row);
            if (block.Subject[offset] != ordinal)
            {
                continue;
            }

            index.Vectors!.Read(block.Slot[offset], vector);
            for (var q = 0; q < queries.Length; q++)
            {
                var score = TensorPrimitives.Dot(queries[q].Vector, vector);
                if (best[q] is not { } current || SubjectRanking.IsBetterFace(score, block.FaceId[offset], current.Similarity, current.FaceId))
                {
                    best[q] = new Candidate(subjectId, block.FaceId[offset], score);
                }
            }
        }

        return best.Select(b => b is null ? (IReadOnlyList<Candidate>)[] : [b]).ToArray();
    }

    private ScanState[] ScanBlocks()
    {
        var states = queries.Select(_ => new ScanState(topK)).ToArray();
        int next;
        while ((next = Interlocked.Increment(ref _nextBlock)) < index.Blocks.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var firstRow = next << GalleryIndex.BlockShift;
            ScanBlock(index.Blocks[next], firstRow, Math.Min(GalleryIndex.BlockRows, index.Count - firstRow), states);
        }

        return states;
    }

    private void ScanBlock(IndexBlock block, int firstRow, int rows, ScanState[] states)
    {
        var dimension = index.Dimension;
        ref var codes = ref block.FirstCode;
        var (scales, errors, norms) = (block.Scale, block.Error, block.Norm);
        for (var r = 0; r < rows; r++)
        {
            ref var row = ref Unsafe.Add(ref codes, r * dimension);
            var (scale, error, norm) = (scales[r], errors[r], norms[r]);
            for (var q = 0; q < queries.Length; q++)
            {
                var query = queries[q];
                var approximate = query.Approximate(ref row, scale);
                var slack = query.Slack(error, norm);
                var state = states[q];
                if (approximate + slack >= state.Threshold)
                {
                    state.Accept(firstRow + r, approximate + slack, approximate - slack, block.Subject[r]);
                }
            }
        }
    }

    private List<Candidate> ReRank(QuantizedQuery query, ScanState[] perWorker)
    {
        // The workers' lower bounds together give the tightest τ; their short lists are re-filtered with it.
        var threshold = ScanState.KthBestOfSubjects(perWorker.SelectMany(s => s.LowerBounds), topK);
        var shortList = perWorker.SelectMany(s => s.Candidates).Where(c => c.Upper >= threshold).ToList();
        shortList.Sort((a, b) => b.Upper.CompareTo(a.Upper));

        var best = new Dictionary<int, (float Score, int Row)>();
        var vector = new float[index.Dimension];
        var kthExact = float.NegativeInfinity;
        var sinceUpdate = 0;
        foreach (var (row, upper) in shortList)
        {
            if (best.Count >= topK && upper < kthExact)
            {
                break;
            }

            var (block, offset) = index.Locate(row);
            index.Vectors!.Read(block.Slot[offset], vector);
            var score = TensorPrimitives.Dot(query.Vector, vector);
            var subject = block.Subject[offset];
            if (!best.TryGetValue(subject, out var current) || IsBetter(score, row, current))
            {
                best[subject] = (score, row);
            }

            // A stale k-th score is only lower, which costs extra work, never exactness; refresh it now and then.
            if (best.Count >= topK && (float.IsNegativeInfinity(kthExact) || ++sinceUpdate >= Math.Max(8, best.Count / 4)))
            {
                kthExact = ScanState.KthLargest(best.Values.Select(v => v.Score), topK);
                sinceUpdate = 0;
            }
        }

        return SubjectRanking.Merge(best.Select(p =>
        {
            var (block, offset) = index.Locate(p.Value.Row);
            return new Candidate(index.SubjectName(p.Key), block.FaceId[offset], p.Value.Score);
        }), topK);
    }

    private bool IsBetter(float score, int row, (float Score, int Row) current)
    {
        var (block, offset) = index.Locate(row);
        var (currentBlock, currentOffset) = index.Locate(current.Row);
        return SubjectRanking.IsBetterFace(score, block.FaceId[offset], current.Score, currentBlock.FaceId[currentOffset]);
    }
}
