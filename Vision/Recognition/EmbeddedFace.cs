namespace FaceOrleans.Vision;

/// <summary>A detected face with its embedding; coordinates are in the uploaded image's pixels.</summary>
public sealed record EmbeddedFace(DetectedFace Face, float[] Embedding);
