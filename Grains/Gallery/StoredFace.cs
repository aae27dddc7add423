namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// An enrolled face as stored: one record each, so enrolling or deleting a face writes one record. It records the
/// recognizer that produced its embedding, so a gallery can refuse to mix two embedding spaces.
/// </summary>
public sealed record StoredFace(string FaceId, string SubjectId, float[] Embedding, EmbeddingModel Model);
