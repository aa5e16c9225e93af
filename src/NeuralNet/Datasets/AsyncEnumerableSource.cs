namespace NeuralNet.Datasets;

// An asynchronous stream of batches, read synchronously on the prefetch worker: a fresh enumeration per pass, or one
// carried from pass to pass (started over when it ends) when continuing.
internal sealed class AsyncEnumerableSource(IAsyncEnumerable<DataBatch> batches) : DataSource
{
    private IAsyncEnumerator<DataBatch>? _continued;

    internal override int? BatchesPerPass => null;

    internal override IEnumerator<DataBatch> OpenPass(int epoch, int? steps, bool shuffle, long seed, bool continuing, CancellationToken cancellationToken) =>
        continuing && steps is int count ? Continue(count, cancellationToken) : Pass(steps ?? int.MaxValue, cancellationToken);

    internal override void Close()
    {
        if (_continued is not null)
        {
            Wait(_continued.DisposeAsync());
            _continued = null;
        }
    }

    private IEnumerator<DataBatch> Pass(int steps, CancellationToken cancellationToken)
    {
        IAsyncEnumerator<DataBatch> enumerator = batches.GetAsyncEnumerator(cancellationToken);
        try
        {
            for (int i = 0; i < steps && Wait(enumerator.MoveNextAsync()); i++)
            {
                yield return enumerator.Current;
            }
        }
        finally
        {
            Wait(enumerator.DisposeAsync());
        }
    }

    private IEnumerator<DataBatch> Continue(int steps, CancellationToken cancellationToken)
    {
        for (int i = 0; i < steps; i++)
        {
            _continued ??= batches.GetAsyncEnumerator(cancellationToken);
            if (!Wait(_continued.MoveNextAsync()))
            {
                Wait(_continued.DisposeAsync());
                _continued = batches.GetAsyncEnumerator(cancellationToken);
                if (!Wait(_continued.MoveNextAsync()))
                {
                    yield break;
                }
            }

            yield return _continued.Current;
        }
    }

    // The worker has nothing else to do while the stream produces, so it blocks.
    private static bool Wait(ValueTask<bool> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private static void Wait(ValueTask pending)
    {
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }
}
