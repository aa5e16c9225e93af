using NeuralNet.Datasets;

namespace NeuralNet.Training;

/// <summary>
/// What the training and evaluation loops pull batches from, one pass (epoch) at a time: each batch is the model's inputs,
/// then its targets, then (when weighted) one weight per sample, ready for a step.
/// </summary>
internal abstract class EpochBatches
{
    /// <summary>The number of batches a pass will give, or 0 while unknown (a stream not yet enumerated).</summary>
    public abstract int Steps { get; }

    /// <summary>Starts pass <paramref name="epoch"/>.</summary>
    public abstract void Begin(int epoch);

    /// <summary>The next batch of the pass, or null when the pass is over; the arrays may be reused by the next call.</summary>
    public abstract Tensor[]? Next();

    /// <summary>Ends the pass (also after an exception): no batch is being prepared when it returns.</summary>
    public abstract void End();

    /// <summary>Replaces the seed of the per-epoch shuffles (a resumed Fit follows the stream of the run it resumes).</summary>
    public virtual void ResetSeed(long seed)
    {
    }
}

/// <summary>The batches of in-memory tensors, gathered by a <see cref="BatchLoader"/> into reused buffers (no allocation).</summary>
internal sealed class LoaderBatches(BatchLoader loader) : EpochBatches
{
    private int _next;

    public override int Steps => loader.BatchCount;

    public override void Begin(int epoch)
    {
        loader.ShuffleForEpoch(epoch);
        _next = 0;
    }

    public override Tensor[]? Next() => _next < loader.BatchCount ? loader.GetBatchTensors(_next++) : null;

    public override void End()
    {
    }

    public override void ResetSeed(long seed) => loader.ResetSeed(seed);
}
