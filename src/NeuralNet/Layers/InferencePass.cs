namespace NeuralNet.Layers;

/// <summary>
/// The prediction this thread is running, if any: a number unique to one call of a model's <c>Predict</c> or
/// <c>Evaluate</c>, during which the model's weights do not change (training holds the model exclusively; another
/// model sharing a layer may train meanwhile, and the prediction then reads weights changing under it). Layers key
/// what they derive from their weights on it: <see cref="Dense"/> packs its kernel once for the call's later batches, and
/// <see cref="EinsumDense"/> with LoRA merges its kernel once per call (<see cref="LowRankAdaptation.MergeOncePerPrediction"/>).
/// </summary>
internal static class InferencePass
{
    private static long s_last;

    [ThreadStatic]
    private static long t_current;

    /// <summary>The current prediction's number on this thread, 0 outside predictions.</summary>
    public static long Current => t_current;

    /// <summary>Starts a prediction on this thread; returns the number to give <see cref="End"/> (an enclosing prediction's).</summary>
    public static long Begin()
    {
        long previous = t_current;
        t_current = Interlocked.Increment(ref s_last);
        return previous;
    }

    /// <summary>Ends the prediction <see cref="Begin"/> started, restoring the enclosing one.</summary>
    public static void End(long previous) => t_current = previous;

    /// <summary>
    /// Gives the running prediction, if any, a new number: called after anything that may have changed weights on this
    /// thread inside it (an optimizer step, or any call that held a model exclusively, from a metric, callback or data
    /// source), so nothing derived from the old weights is read again.
    /// </summary>
    public static void Renew()
    {
        if (t_current != 0)
        {
            t_current = Interlocked.Increment(ref s_last);
        }
    }
}
