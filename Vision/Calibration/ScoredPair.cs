namespace FaceOrleans.Vision;

/// <summary>A pair's cosine similarity, or null when a face was not found in one of its images.</summary>
public sealed record ScoredPair(LabelledPair Pair, float? Similarity);
