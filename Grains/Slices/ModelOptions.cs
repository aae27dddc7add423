namespace FaceOrleans.Grains.Slices;

/// <summary>Where the model files are (section <c>FaceOrleans:Models</c>).</summary>
public sealed class ModelOptions
{
    public const string Section = "FaceOrleans:Models";

    /// <summary>Folder holding manifest.json and the .onnx files; null searches upward for models/.</summary>
    public string? Directory { get; set; }
}
