namespace FaceOrleans.Grains.Storage;

/// <summary>Where <see cref="SqliteGrainStorage"/> keeps its file.</summary>
public sealed class SqliteGrainStorageOptions
{
    /// <summary>The database file; created with its folder when missing.</summary>
    public string DatabasePath { get; set; } = "data/faceorleans.db";
}
