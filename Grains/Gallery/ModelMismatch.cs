using FaceOrleans.Vision;

namespace FaceOrleans.Grains.Gallery;

/// <summary>The one refusal for a gallery asked to mix two recognizers' embeddings: it names both, and the way forward.</summary>
internal static class ModelMismatch
{
    public static RequestRejectedException Between(string tenant, EmbeddingModel gallery, EmbeddingModel request) => new(
        RejectionCode.GalleryModelMismatch,
        null,
        $"The gallery's faces were embedded by {gallery}, this request's face by {request}: similarities between two recognizers' " +
        $"embeddings mean nothing, so nothing was searched or stored. Run the tenant on {gallery.Name} again, or rebuild the gallery " +
        $"with {request.Name} from its stored enrollment photos: POST /v1/{tenant}/gallery/reembed.");

    /// <summary>Refuses <paramref name="request"/> unless it is the recognizer of every face in <paramref name="gallery"/>.</summary>
    public static void ThrowUnlessAll(string tenant, IEnumerable<EmbeddingModel> gallery, EmbeddingModel request)
    {
        if (gallery.FirstOrDefault(m => m != request) is { } other)
        {
            throw Between(tenant, other, request);
        }
    }
}
