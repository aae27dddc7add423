namespace FaceOrleans.Contracts;

/// <summary>The gallery's store cannot be reached; nothing was changed. The API maps it to 503.</summary>
[GenerateSerializer, Alias("faceorleans.GalleryStoreUnavailableException")]
public sealed class GalleryStoreUnavailableException : Exception
{
    public GalleryStoreUnavailableException()
    {
    }

    public GalleryStoreUnavailableException(string message)
        : base(message)
    {
    }

    public GalleryStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
