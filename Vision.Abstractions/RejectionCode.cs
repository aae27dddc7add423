namespace FaceOrleans.Vision;

/// <summary>
/// Why a request is refused. One list for the pipeline, the grains and the API: the API maps each code to one
/// problem type in one switch (Api/Problems/RejectionProblems.cs), and a test checks that every code is mapped
/// and documented in README. Values are fixed: they cross the wire between silos and clients.
/// </summary>
public enum RejectionCode
{
    /// <summary>A required form field or value is missing.</summary>
    MissingField = 1,

    /// <summary>A parameter or setting is malformed or out of range.</summary>
    InvalidParameter = 2,

    /// <summary>An uploaded file has no bytes.</summary>
    EmptyImage = 10,

    /// <summary>The bytes are not JPEG, PNG, BMP or WebP.</summary>
    NotAnImage = 11,

    /// <summary>The header names a format but the image cannot be decoded (cut short, broken structure).</summary>
    CorruptImage = 12,

    /// <summary>The image declares more pixels than the limit.</summary>
    ImageTooLarge = 13,

    /// <summary>A side is too short to hold a detectable face.</summary>
    ImageTooSmall = 14,

    /// <summary>No face was found where one is needed.</summary>
    NoFace = 20,

    /// <summary>Several faces where exactly one is needed (enrollment).</summary>
    SeveralFaces = 21,

    /// <summary>An enrollment photo's face is too small, too blurred or too far from frontal; the reasons say which.</summary>
    LowQuality = 22,

    /// <summary>The subject (or one of its faces) does not exist in the tenant's gallery.</summary>
    UnknownSubject = 30,

    /// <summary>A subject with that id already exists.</summary>
    SubjectExists = 31,

    /// <summary>The subject has no enrolled face to verify against.</summary>
    NoEnrolledFace = 32,

    /// <summary>The gallery is being re-sharded to another count, or its layout changed while the request was made.</summary>
    ReshardInProgress = 33,

    /// <summary>A threshold was asked for from a gallery calibration too small to trust; the reasons say why.</summary>
    UntrustedCalibration = 34,

    /// <summary>
    /// The gallery's faces were embedded by another recognizer than the request's (or than the other faces'): their
    /// similarities would mean nothing, so nothing is searched or stored; the message names both models.
    /// </summary>
    GalleryModelMismatch = 35,

    /// <summary>A gallery cannot be re-embedded: faces to re-embed have no stored enrollment photo.</summary>
    EnrollmentPhotosMissing = 36,

    /// <summary>A tenant archive cannot be imported into a gallery that already holds subjects.</summary>
    GalleryNotEmpty = 37,

    /// <summary>A tenant archive that is not one, is damaged, or was sealed with another passphrase.</summary>
    ArchiveUnreadable = 38,
}
