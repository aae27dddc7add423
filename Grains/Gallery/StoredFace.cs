namespace FaceOrleans.Grains.Gallery;

/// <summary>An enrolled face as stored: one record each, so enrolling or deleting a face writes one record.</summary>
public sealed record StoredFace(string FaceId, string SubjectId, float[] Embedding);
