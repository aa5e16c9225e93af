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
            Dispose(_continued);
            _continued = null;
        }
    }

    private IEnumerator<DataBatch> Pass(int steps, CancellationToken cancellationToken)
    {
        IAsyncEnumerator<DataBatch> enumerator = batches.GetAsyncEnumerator(cancellationToken);
        try
        {
            for (int i = 0; i < steps && MoveNext(enumerator); i++)
            {
                yield return enumerator.Current;
            }
        }
        finally
        {
            Dispose(enumerator);
        }
    }

    private IEnumerator<DataBatch> Continue(int steps, CancellationToken cancellationToken)
    {
        for (int i = 0; i < steps; i++)
        {
            _continued ??= batches.GetAsyncEnumerator(cancellationToken);
            if (!MoveNext(_continued))
            {
                Dispose(_continued);
                _continued = batches.GetAsyncEnumerator(cancellationToken);
                if (!MoveNext(_continued))
                {
                    yield break;
                }
            }

            yield return _continued.Current;
        }
    }

    // The reader (the prefetch worker, or the caller with prefetch 0) has nothing else to do while the stream produces,
    // so it blocks. Under a synchronization context (a UI thread) the stream's continuations would queue behind the
    // blocked thread, so there the step runs on the thread pool.
    private static bool MoveNext(IAsyncEnumerator<DataBatch> enumerator)
    {
        if (SynchronizationContext.Current is not null)
        {
            return Task.Run(() => enumerator.MoveNextAsync().AsTask()).GetAwaiter().GetResult();
        }

        ValueTask<bool> pending = enumerator.MoveNextAsync();
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    private static void Dispose(IAsyncEnumerator<DataBatch> enumerator)
    {
        if (SynchronizationContext.Current is not null)
        {
            Task.Run(() => enumerator.DisposeAsync().AsTask()).GetAwaiter().GetResult();
            return;
        }

        ValueTask pending = enumerator.DisposeAsync();
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }
}
