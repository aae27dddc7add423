namespace FaceOrleans.Grains;

public static class FaceOrleansStorage
{
    /// <summary>The grain storage provider holding tenant state (SQLite when embedded, Redis in a cluster).</summary>
    public const string Name = "faceorleans";
}
