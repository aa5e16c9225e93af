namespace NeuralNet.Kernels;

/// <summary>
/// Keeps the kernels of overlapping predictions on their callers' threads. One prediction splits its large products
/// over the worker threads; when two or more run at once (on any models), each caller already keeps a core busy, and a
/// worker joining one of them would only take a core from another. Which thread runs a part never changes what it
/// computes, so results are the same either way.
/// </summary>
internal static class OverlappingPredictions
{
    private static int s_running;

    // Predictions running on this thread: more than one when a prediction's layer predicts with another model.
    [ThreadStatic]
    private static int t_predictions;

    /// <summary>Whether this thread is running a prediction while another one runs: its kernels should not use the workers.</summary>
    public static bool StayOnCaller => t_predictions > 0 && Volatile.Read(ref s_running) > t_predictions;

    /// <summary>Marks the start of a prediction on this thread.</summary>
    public static void Enter()
    {
        t_predictions++;
        Interlocked.Increment(ref s_running);
    }

    /// <summary>Marks its end.</summary>
    public static void Exit()
    {
        Interlocked.Decrement(ref s_running);
        t_predictions--;
    }
}
