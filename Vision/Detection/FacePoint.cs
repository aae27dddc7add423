namespace FaceOrleans.Vision;

/// <summary>A point in an image's pixels.</summary>
public readonly record struct FacePoint(float X, float Y)
{
    public FacePoint Scale(double factor) => new((float)(X * factor), (float)(Y * factor));
}
