using System.Runtime.InteropServices;

namespace FaceOrleans.Grains.Slices;

/// <summary>libc's environment, which native libraries such as CUDA read; .NET's own does not reach it on Unix.</summary>
internal static partial class NativeEnvironment
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SetEnv(string name, string value, int overwrite);
}
