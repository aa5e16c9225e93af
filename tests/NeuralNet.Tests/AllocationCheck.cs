using Xunit;

namespace NeuralNet.Tests;

/// <summary>Asserts that already warmed-up work allocates nothing on the calling thread.</summary>
internal static class AllocationCheck
{
    /// <summary>
    /// Runs <paramref name="measured"/> and asserts that it allocated 0 bytes on this thread, allowing up to five
    /// attempts: the runtime itself sometimes allocates on a thread (a method compiled on stack replacement while a
    /// loop runs, tiering when tests in parallel shift its timing), which showed up on CI as one-off failures without
    /// intrinsics (session 38: ConvNeXt-Tiny's step, 12-19 KB in each of three attempts during the whole suite, 0 when
    /// run alone or in a rerun of the suite). Code that allocates on every run still fails, with the bytes of each attempt.
    /// </summary>
    public static void AssertNone(Action measured)
    {
        var attempts = new long[5];
        for (int attempt = 0; attempt < attempts.Length; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            measured();
            attempts[attempt] = GC.GetAllocatedBytesForCurrentThread() - before;
            if (attempts[attempt] == 0)
            {
                return;
            }
        }

        Assert.Fail($"Allocated {string.Join(", ", attempts)} bytes in {attempts.Length} attempts; expected 0 in at least one.");
    }
}
