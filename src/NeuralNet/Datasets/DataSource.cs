namespace NeuralNet.Datasets;

/// <summary>
/// Where <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c> take their batches from when the data is not one in-memory tensor:
/// a <see cref="BatchDataset"/> (Keras' <c>PyDataset</c>: a length and batch <c>i</c>), a <see cref="TimeseriesDataset"/>
/// (Keras' <c>timeseries_dataset_from_array</c>) or a stream of batches
/// (<see cref="FromBatches(IEnumerable{DataBatch})"/>, <see cref="FromBatches(IAsyncEnumerable{DataBatch})"/>).
/// </summary>
/// <remarks>
/// The model prepares the next batches on a background worker (a bounded prefetch queue, <c>Fit</c>'s <c>prefetch</c>)
/// while it trains on the current one; the batches are still trained in the source's order, so a run is reproducible
/// whatever the queue does. A stream is enumerated afresh for each epoch unless <c>stepsPerEpoch</c> is given, in which
/// case each epoch takes the next <c>stepsPerEpoch</c> batches and the stream starts over when it ends (a repeated stream).
/// </remarks>
public abstract class DataSource
{
    private protected DataSource()
    {
    }

    /// <summary>A source that enumerates <paramref name="batches"/> once per epoch (or continues it, with <c>stepsPerEpoch</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="batches"/> is null.</exception>
    public static DataSource FromBatches(IEnumerable<DataBatch> batches) => new EnumerableSource(batches ?? throw new ArgumentNullException(nameof(batches)));

    /// <summary>A source that enumerates the asynchronous stream <paramref name="batches"/> once per epoch (or continues it, with <c>stepsPerEpoch</c>);
    /// the stream is read on the prefetch worker (on the calling thread with <c>prefetch: 0</c>, or on the thread pool under a
    /// synchronization context) and receives a cancellation token that the call's token and an early end of the run cancel.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="batches"/> is null.</exception>
    public static DataSource FromBatches(IAsyncEnumerable<DataBatch> batches) => new AsyncEnumerableSource(batches ?? throw new ArgumentNullException(nameof(batches)));

    /// <summary>The number of batches in one full pass, or null when it is known only once the source has been enumerated.</summary>
    internal abstract int? BatchesPerPass { get; }

    /// <summary>
    /// The batches of one pass: <paramref name="steps"/> of them (a full pass when null), in the order of epoch
    /// <paramref name="epoch"/> for a shuffled indexable source. With <paramref name="continuing"/>, a stream resumes where
    /// the previous pass stopped and starts over when it ends.
    /// </summary>
    internal abstract IEnumerator<DataBatch> OpenPass(int epoch, int? steps, bool shuffle, long seed, bool continuing, CancellationToken cancellationToken);

    /// <summary>Called on the training thread before a pass starts.</summary>
    internal virtual void BeginPass()
    {
    }

    /// <summary>Called on the training thread after a pass, once no batch is being prepared.</summary>
    internal virtual void EndPass()
    {
    }

    /// <summary>Releases what a run kept between passes (a continued stream's enumerator).</summary>
    internal virtual void Close()
    {
    }
}
