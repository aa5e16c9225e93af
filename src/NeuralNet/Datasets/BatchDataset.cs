namespace NeuralNet.Datasets;

/// <summary>
/// A data set the user implements by index, as Keras' <c>PyDataset</c>: <see cref="BatchCount"/> batches, any of them
/// on demand from <see cref="GetBatch"/>. Pass it to <c>Fit</c>, <c>Evaluate</c> or <c>Predict</c>.
/// </summary>
/// <remarks>
/// <para><c>Fit</c> visits the batches in a new seeded order each epoch when shuffling (the order depends only on the seed
/// and the epoch), and asks for them on a background worker while the model trains: <see cref="GetBatch"/> is called
/// from one thread at a time (with one worker), but not necessarily the caller's, and must return tensors that the next call does not
/// overwrite (up to <c>prefetch</c> + 1 batches are alive at once: the queue's and the one training). <see cref="OnEpochBegin"/> and <see cref="OnEpochEnd"/>
/// run on the calling thread while no batch is being prepared.</para>
/// <para>With <see cref="Workers"/> above 1 (Keras' <c>workers</c>), up to that many <see cref="GetBatch"/> calls run at
/// once, on threads of the pass's own (not the thread pool), for the next batches in the pass's order, so <see cref="GetBatch"/> must be safe to call from
/// several threads and return new tensors each time; up to <c>prefetch</c> + <see cref="Workers"/> + 1 batches are alive
/// at once. The model still trains on the batches in the pass's order: a dataset whose batch <c>i</c> depends only on
/// <c>i</c> gives the same weights, bit for bit, with any number of workers.</para>
/// </remarks>
/// <example>
/// <code>
/// sealed class Squares(int count, int batchSize) : BatchDataset
/// {
///     public override int BatchCount => (count + batchSize - 1) / batchSize;
///     public override DataBatch GetBatch(int index)
///     {
///         int n = Math.Min(batchSize, count - (index * batchSize));
///         var x = new Tensor(n, 1);
///         var y = new Tensor(n, 1);
///         for (int i = 0; i &lt; n; i++) { float v = (index * batchSize) + i; x[i, 0] = v; y[i, 0] = v * v; }
///         return new DataBatch(x, y);
///     }
/// }
/// </code>
/// </example>
public abstract class BatchDataset : DataSource
{
    // DataSource is closed to other assemblies on purpose (its members are internal); BatchDataset is the open door.
#pragma warning disable RS0022
    /// <summary>Initialises the base class.</summary>
    protected BatchDataset()
        : this(workers: 1)
    {
    }

    /// <summary>Initialises the base class with the number of batches prepared at once (Keras' <c>PyDataset(workers=...)</c>).</summary>
    /// <param name="workers">How many <see cref="GetBatch"/> calls may run at once, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workers"/> is below 1.</exception>
    protected BatchDataset(int workers)
    {
        if (workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workers), workers, $"{GetType().Name} expects workers >= 1 (the number of GetBatch calls run at once) but got {workers}.");
        }

        Workers = workers;
    }
#pragma warning restore RS0022

    /// <summary>How many <see cref="GetBatch"/> calls may run at once, each on a thread of the pass's own (Keras' <c>workers</c>; 1, the default, calls it from one thread at a time).</summary>
    public int Workers { get; }

    /// <summary>The number of batches (Keras' <c>__len__</c>), at least 1.</summary>
    public abstract int BatchCount { get; }

    /// <summary>Batch <paramref name="index"/>, in [0, <see cref="BatchCount"/>) (Keras' <c>__getitem__</c>).</summary>
    /// <param name="index">The batch's index.</param>
    public abstract DataBatch GetBatch(int index);

    /// <summary>Called before each pass over the data (each epoch of <c>Fit</c>, each validation, <c>Evaluate</c> and <c>Predict</c>).</summary>
    public virtual void OnEpochBegin()
    {
    }

    /// <summary>Called after each pass over the data (Keras' <c>on_epoch_end</c>), for example to reshuffle samples between batches.</summary>
    public virtual void OnEpochEnd()
    {
    }

    internal override int? BatchesPerPass => BatchCount;

    internal override void BeginPass() => OnEpochBegin();

    internal override void EndPass() => OnEpochEnd();

    internal override IEnumerator<DataBatch> OpenPass(int epoch, int? steps, bool shuffle, long seed, bool continuing, CancellationToken cancellationToken)
    {
        int count = BatchCount;
        if (count < 1)
        {
            throw new DataSourceException($"{GetType().Name}.BatchCount is {count}; a dataset must have at least one batch.", epoch, -1);
        }

        if (continuing && steps is int perEpoch)
        {
            // Keras' steps_per_epoch: each epoch goes on where the previous one stopped, and a new order starts when one
            // is used up, so every batch is trained on. Where epoch e starts follows from e alone (a resumed run agrees).
            return Batches(Continued((long)epoch * perEpoch, perEpoch, count, shuffle, seed), cancellationToken);
        }

        return Batches(InOrder(Order(count, shuffle, seed, epoch), Math.Min(steps ?? count, count)), cancellationToken);
    }

    private IEnumerator<DataBatch> Batches(IEnumerator<int> indices, CancellationToken cancellationToken) =>
        Workers > 1 ? new ParallelBatches(this, indices, Workers, cancellationToken) : OneAtATime(indices);

    private IEnumerator<DataBatch> OneAtATime(IEnumerator<int> indices)
    {
        using (indices)
        {
            while (indices.MoveNext())
            {
                yield return GetBatch(indices.Current);
            }
        }
    }

    // The batch indices of pass `cycle` over the data: in order, or shuffled by the seed and the cycle.
    private static int[] Order(int count, bool shuffle, long seed, long cycle)
    {
        int[] order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }

        if (shuffle)
        {
            new SeededRandom(SeededRandom.Derive(seed, cycle)).Shuffle(order);
        }

        return order;
    }

    private static IEnumerator<int> InOrder(int[] order, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            yield return order[i];
        }
    }

    private static IEnumerator<int> Continued(long first, int steps, int count, bool shuffle, long seed)
    {
        long cycle = first / count;
        int[] order = Order(count, shuffle, seed, cycle);
        for (long g = first; g < first + steps; g++)
        {
            if (g / count != cycle)
            {
                cycle = g / count;
                order = Order(count, shuffle, seed, cycle);
            }

            yield return order[(int)(g % count)];
        }
    }
}
