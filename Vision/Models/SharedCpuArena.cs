using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Vision;

/// <summary>
/// One CPU arena for every session in the process, registered with ONNX Runtime's environment. A session's own
/// CPU arena grows by doubling (<c>kNextPowerOfTwo</c>): when no free block fits a new input shape it reserves a
/// region twice the last one and never gives it back, so under mixed image sizes and batch sizes a silo's native
/// memory climbs in ever larger steps (docs/soak.md). The shared arena grows by what was asked
/// (<c>kSameAsRequested</c>), so a block freed by one model's call serves the next call of either model.
/// </summary>
public static class SharedCpuArena
{
    /// <summary>ONNX Runtime's <c>arena_extend_strategy</c> value for <c>kSameAsRequested</c>.</summary>
    private const int SameAsRequested = 1;

    private static readonly Lock Gate = new();
    private static bool _registered;

    /// <summary>Registers the arena once per process; every later call (another slice in a test host) shares it.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered)
            {
                return;
            }

            // -1: ONNX Runtime's defaults for the first region and the dead bytes a block may carry; 0: no cap.
            using var config = new OrtArenaCfg(0, SameAsRequested, -1, -1);
            OrtEnv.Instance().CreateAndRegisterAllocator(OrtMemoryInfo.DefaultInstance, config);
            _registered = true;
        }
    }
}
