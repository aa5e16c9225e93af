namespace NeuralNet.Data;

/// <summary>
/// The batches of a folder loader's <c>EnumerateBatches</c>: <paramref name="batchSize"/> files at a time through
/// <paramref name="read"/>, the files in the index's order on the first enumeration and in a new order drawn from the seed
/// and the enumeration's number on each later one (Keras' dataset reshuffles every epoch). Shared by
/// <see cref="ImageFolder"/> and <see cref="AudioFolder"/>.
/// </summary>
/// <typeparam name="TBatch">What one batch is read into.</typeparam>
/// <param name="index">The files, already in Keras' <c>index_directory</c> order (and subset).</param>
/// <param name="batchSize">The files per batch; the last batch may be smaller.</param>
/// <param name="seed">The shuffle seed; null when not shuffling (every enumeration keeps the index's order).</param>
/// <param name="read">Reads files [start, start + count) of the index it is given.</param>
internal sealed class FolderBatches<TBatch>(FolderIndex index, int batchSize, uint? seed, Func<FolderIndex, int, int, TBatch> read) : IEnumerable<TBatch>
{
    private int _enumerations;

    public IEnumerator<TBatch> GetEnumerator()
    {
        int enumeration = Interlocked.Increment(ref _enumerations) - 1;
        FolderIndex order = seed is uint value && enumeration > 0 ? index.Reshuffled(value, enumeration) : index;
        return Batches(order).GetEnumerator();
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<TBatch> Batches(FolderIndex order)
    {
        for (int start = 0; start < order.Paths.Length; start += batchSize)
        {
            yield return read(order, start, Math.Min(batchSize, order.Paths.Length - start));
        }
    }
}
