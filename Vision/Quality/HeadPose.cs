namespace FaceOrleans.Vision;

/// <summary>
/// Where a face points, in degrees, estimated from its five landmarks alone. Yaw is positive when the face turns
/// towards the image's right, pitch when the chin comes up; 0 and 0 is a face looking into the camera.
/// </summary>
public readonly record struct HeadPose(float Yaw, float Pitch)
{
    /// <summary>
    /// Where RetinaFace puts the five points of a frontal face, in the 112 px template's units (x right, y down): the
    /// median of the 64 shared photos' landmarks aligned to the template, made symmetric. The alignment template
    /// itself puts the nose higher (71.7 against 74.6), which reads a typical frontal face as 16° chin-down.
    /// </summary>
    private static readonly FacePoint[] FrontalLayout =
    [
        new(37.44f, 52.6f), new(74.58f, 52.6f), new(56.01f, 74.62f), new(39.33f, 89.99f), new(72.69f, 89.99f),
    ];

    /// <summary>
    /// A generic face in three dimensions: <see cref="FrontalLayout"/> with the nose tip 0.43 and the mouth corners
    /// 0.03 inter-eye distances in front of the eyes (z towards the camera), the depths of the six-point head-pose
    /// model commonly used with OpenCV.
    /// </summary>
    private static readonly (double X, double Y, double Z)[] Model = BuildModel();

    /// <summary>(M Mᵀ)⁻¹ for the centred model M (3×5): the affine camera fit below needs it for every face.</summary>
    private static readonly double[,] ModelGramInverse = Invert3(Gram(Model));

    /// <summary>
    /// Fits an affine camera (weak perspective: rotation, scale, shift) mapping the generic face onto the landmarks
    /// by least squares, makes its two rows orthonormal, and reads the direction the face's front points in. An
    /// estimate: a person whose nose is longer or shorter than the generic one reads a few degrees off.
    /// </summary>
    /// <param name="landmarks">Left eye, right eye, nose tip, left and right mouth corner, in any image's pixels.</param>
    public static HeadPose Estimate(IReadOnlyList<FacePoint> landmarks)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        if (landmarks.Count != DetectedFace.LandmarkCount)
        {
            throw new ArgumentException($"Need the {DetectedFace.LandmarkCount} landmarks of a face.", nameof(landmarks));
        }

        double meanU = landmarks.Average(p => p.X), meanV = landmarks.Average(p => p.Y);
        // U Mᵀ: 2×3, the image points against the centred model.
        var cross = new double[2, 3];
        for (var i = 0; i < Model.Length; i++)
        {
            var (u, v) = (landmarks[i].X - meanU, landmarks[i].Y - meanV);
            var (x, y, z) = Model[i];
            cross[0, 0] += u * x;
            cross[0, 1] += u * y;
            cross[0, 2] += u * z;
            cross[1, 0] += v * x;
            cross[1, 1] += v * y;
            cross[1, 2] += v * z;
        }

        // The camera's rows: r1 = the image's x axis, r2 = its y axis, both in the face's coordinates.
        var r1 = Normalize(Row(cross, 0));
        var r2 = Normalize(Row(cross, 1));
        // Make r2 orthogonal to r1 (the fit is not exactly a scaled rotation), then the face's front in camera terms.
        var along = Dot(r1, r2);
        r2 = Normalize((r2.X - (along * r1.X), r2.Y - (along * r1.Y), r2.Z - (along * r1.Z)));
        var r3 = (X: (r1.Y * r2.Z) - (r1.Z * r2.Y), Y: (r1.Z * r2.X) - (r1.X * r2.Z), Z: (r1.X * r2.Y) - (r1.Y * r2.X));
        // The face's +z (its front) seen from the camera: (r1.z, r2.z, r3.z).
        var (frontX, frontY, frontZ) = (r1.Z, r2.Z, r3.Z);
        var yaw = Math.Atan2(frontX, frontZ);
        var pitch = Math.Atan2(-frontY, Math.Sqrt((frontX * frontX) + (frontZ * frontZ)));
        return new HeadPose((float)(yaw * 180 / Math.PI), (float)(pitch * 180 / Math.PI));
    }

    /// <summary>Where <see cref="Model"/>'s points land for a face turned by the given angles: the inverse of <see cref="Estimate"/>, for tests.</summary>
    public static FacePoint[] Project(double yawDegrees, double pitchDegrees, double scale = 1)
    {
        var (yaw, pitch) = (yawDegrees * Math.PI / 180, pitchDegrees * Math.PI / 180);
        return Model.Select(p =>
        {
            // Turn about the vertical axis, then tilt about the horizontal one; keep x and y (orthographic).
            var x = (p.X * Math.Cos(yaw)) + (p.Z * Math.Sin(yaw));
            var z = (-p.X * Math.Sin(yaw)) + (p.Z * Math.Cos(yaw));
            var y = (p.Y * Math.Cos(pitch)) - (z * Math.Sin(pitch));
            return new FacePoint((float)((x * scale) + 200), (float)((y * scale) + 200));
        }).ToArray();
    }

    private static (double X, double Y, double Z)[] BuildModel()
    {
        var layout = FrontalLayout;
        var interEye = layout[1].X - layout[0].X;
        double[] depth = [0, 0, 0.43 * interEye, 0.03 * interEye, 0.03 * interEye];
        double meanX = layout.Average(p => p.X), meanY = layout.Average(p => p.Y), meanZ = depth.Average();
        return layout.Select((p, i) => (p.X - meanX, p.Y - meanY, depth[i] - meanZ)).ToArray();
    }

    private static (double X, double Y, double Z) Row(double[,] cross, int row)
    {
        // (U Mᵀ)(M Mᵀ)⁻¹, one row of the 2×3 least-squares camera.
        var g = ModelGramInverse;
        return (
            (cross[row, 0] * g[0, 0]) + (cross[row, 1] * g[1, 0]) + (cross[row, 2] * g[2, 0]),
            (cross[row, 0] * g[0, 1]) + (cross[row, 1] * g[1, 1]) + (cross[row, 2] * g[2, 1]),
            (cross[row, 0] * g[0, 2]) + (cross[row, 1] * g[1, 2]) + (cross[row, 2] * g[2, 2]));
    }

    private static double Dot((double X, double Y, double Z) a, (double X, double Y, double Z) b) => (a.X * b.X) + (a.Y * b.Y) + (a.Z * b.Z);

    private static (double X, double Y, double Z) Normalize((double X, double Y, double Z) v)
    {
        var length = Math.Sqrt(Dot(v, v));
        return length < 1e-12 ? v : (v.X / length, v.Y / length, v.Z / length);
    }

    private static double[,] Gram((double X, double Y, double Z)[] points)
    {
        var g = new double[3, 3];
        foreach (var p in points)
        {
            double[] v = [p.X, p.Y, p.Z];
            for (var r = 0; r < 3; r++)
            {
                for (var c = 0; c < 3; c++)
                {
                    g[r, c] += v[r] * v[c];
                }
            }
        }

        return g;
    }

    private static double[,] Invert3(double[,] m)
    {
        var det = (m[0, 0] * ((m[1, 1] * m[2, 2]) - (m[1, 2] * m[2, 1])))
                - (m[0, 1] * ((m[1, 0] * m[2, 2]) - (m[1, 2] * m[2, 0])))
                + (m[0, 2] * ((m[1, 0] * m[2, 1]) - (m[1, 1] * m[2, 0])));
        var inverse = new double[3, 3];
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                // The cofactor of (c, r), so the result is the adjugate over the determinant.
                int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
                inverse[r, c] = ((m[r1, c1] * m[r2, c2]) - (m[r1, c2] * m[r2, c1])) / det;
            }
        }

        return inverse;
    }
}
