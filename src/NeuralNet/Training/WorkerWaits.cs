namespace NeuralNet.Training;

/// <summary>How long the threads that prepare batches are waited for.</summary>
internal static class WorkerWaits
{
    /// <summary>Waits for a batch wake at least this often to look at the cancellation token.</summary>
    public const int PollMilliseconds = 20;

    /// <summary>
    /// How long a pass that stopped early waits for its batch makers before leaving them behind: one may sit in the
    /// source (a stream that waits and ignores cancellation, a slow <c>GetBatch</c>), and it should not hang the caller.
    /// </summary>
    public static readonly TimeSpan Abandoned = TimeSpan.FromSeconds(2);
}
