namespace FaceOrleans.Vision;

/// <summary>How hard the pipeline looks for faces. Values are fixed: they cross the wire and are stored in tenant settings.</summary>
public enum DetectionMode
{
    /// <summary>One detector pass over the whole image: quick, and enough for faces larger than about 1/40 of the image.</summary>
    Fast = 0,

    /// <summary>
    /// The fast pass plus overlapping tiles of a magnified copy (<see cref="TiledDetection"/>), merged with NMS: finds
    /// the small faces of a group photo at several times the cost.
    /// </summary>
    Thorough = 1,
}
