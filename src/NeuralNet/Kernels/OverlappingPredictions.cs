using System.Diagnostics;

namespace NeuralNet.Kernels;

/// <summary>
/// Keeps the kernels of overlapping predictions on their callers' threads. One prediction splits its large products
/// over the worker threads; when two or more run at once (on any models), each caller already keeps a core busy, and a
/// worker joining one of them would only take a core from another. Which thread runs a part never changes what it
/// computes, so results are the same either way. Callers predicting side by side are rarely inside a prediction at the
/// same instant, so the overlap is remembered for a millisecond: a caller alone between its neighbour's calls would
/// otherwise wake the worker and take the neighbour's core.
/// </summary>
internal static class OverlappingPredictions
{
    private static int s_running;

    // When a prediction last started or ended while another ran (Stopwatch ticks), and how long that is remembered.
    private static long s_lastOverlap = long.MinValue / 2;
    private static readonly long s_overlapMemoryTicks = Stopwatch.Frequency / 1000;

    // Predictions running on this thread: more than one when a prediction's layer predicts with another model.
    [ThreadStatic]
    private static int t_predictions;

    /// <summary>Whether this thread is running a prediction while another one runs: its kernels should not use the workers.</summary>
    public static bool StayOnCaller => t_predictions > 0
        && (Volatile.Read(ref s_running) > t_predictions || Stopwatch.GetTimestamp() - Volatile.Read(ref s_lastOverlap) < s_overlapMemoryTicks);

    /// <summary>Marks the start of a prediction on this thread.</summary>
    public static void Enter()
    {
        t_predictions++;
        if (Interlocked.Increment(ref s_running) > t_predictions)
        {
            Volatile.Write(ref s_lastOverlap, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Marks its end.</summary>
    public static void Exit()
    {
        if (Interlocked.Decrement(ref s_running) >= t_predictions)
        {
            Volatile.Write(ref s_lastOverlap, Stopwatch.GetTimestamp());
        }

        t_predictions--;
    }
}
