using System.Runtime.CompilerServices;
using NeuralNet.Kernels;

namespace NeuralNet.Tests;

/// <summary>
/// Starts the library's worker threads for every degree of parallelism a test sets (up to 4) when the test assembly
/// loads. Tests run in parallel and some raise <see cref="Parallelism.MaxDegreeOfParallelism"/> for a while; without
/// this, the first parallel call after such a raise starts a worker (a Thread and its event, about 6 KB) on whatever
/// test's thread made it, and an allocation-counting test running then saw those bytes (CI, no intrinsics).
/// </summary>
internal static class ThreadTeamsReserved
{
    [ModuleInitializer]
    internal static void Reserve()
    {
        GemmThreadTeam.Instance.Reserve(4);
    }
}
