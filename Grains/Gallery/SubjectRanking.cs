namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// The one ranking rule for 1:N answers, shared by the index, the gallery's merge across shards and the
/// benchmark's exact reference, so that "identical to exact" is a comparison of like with like: a subject
/// ranks by its best face; a higher score wins, and an exact tie goes to the smaller id (ordinal), so the
/// answer never depends on the order faces were stored or scanned in.
/// </summary>
public static class SubjectRanking
{
    /// <summary>Whether a face with <paramref name="score"/> is a better best face for its subject than the current one.</summary>
    public static bool IsBetterFace(float score, string faceId, float currentScore, string currentFaceId) =>
        score > currentScore || (score == currentScore && string.CompareOrdinal(faceId, currentFaceId) < 0);

    /// <summary>Orders candidates best first: by score, then by subject id.</summary>
    public static int Compare(Candidate x, Candidate y)
    {
        var byScore = y.Similarity.CompareTo(x.Similarity);
        return byScore != 0 ? byScore : string.CompareOrdinal(x.SubjectId, y.SubjectId);
    }

    /// <summary>The top <paramref name="topK"/> subjects of candidates that may repeat a subject (one list per shard, say).</summary>
    public static List<Candidate> Merge(IEnumerable<Candidate> candidates, int topK)
    {
        var best = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            if (!best.TryGetValue(candidate.SubjectId, out var current)
                || IsBetterFace(candidate.Similarity, candidate.FaceId, current.Similarity, current.FaceId))
            {
                best[candidate.SubjectId] = candidate;
            }
        }

        var ranked = best.Values.ToList();
        ranked.Sort(Compare);
        return ranked.Count > topK ? ranked[..topK] : ranked;
    }
}
