namespace NeuralNet.Training;

/// <summary>
/// A bounded first-in first-out queue between one producer (the prefetch worker) and one consumer (the training loop),
/// with blocking waits that allocate nothing: the producer waits while the queue is full, the consumer while it is empty.
/// The producer ends the queue with <see cref="Complete"/>, passing its exception if it failed; the consumer leaves
/// early with <see cref="Abandon"/>, which releases a waiting producer.
/// </summary>
internal sealed class PrefetchQueue<T>
{
    private readonly T[] _items;
    private readonly object _gate = new();
    private int _head;
    private int _count;
    private bool _completed;
    private bool _abandoned;
    private Exception? _error;

    public PrefetchQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    /// <summary>Empties the queue for a new run of the producer.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            Array.Clear(_items);
            (_head, _count, _completed, _abandoned, _error) = (0, 0, false, false, null);
        }
    }

    /// <summary>Waits until the queue has room for an item; false when the consumer has abandoned the queue. The producer
    /// calls it before making an item, so no more than the queue's capacity plus the consumer's current item are alive.</summary>
    public bool WaitForRoom()
    {
        lock (_gate)
        {
            while (_count == _items.Length && !_abandoned)
            {
                Monitor.Wait(_gate);
            }

            return !_abandoned;
        }
    }

    /// <summary>Adds an item, waiting while the queue is full; false when the consumer has abandoned the queue.</summary>
    public bool Add(T item)
    {
        lock (_gate)
        {
            while (_count == _items.Length && !_abandoned)
            {
                Monitor.Wait(_gate);
            }

            if (_abandoned)
            {
                return false;
            }

            _items[(_head + _count) % _items.Length] = item;
            _count++;
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    /// <summary>Marks the end of the items; <paramref name="error"/> is what stopped the producer, if anything.</summary>
    public void Complete(Exception? error)
    {
        lock (_gate)
        {
            _completed = true;
            _error = error;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The consumer leaves: a producer waiting for room is released and every later <see cref="Add"/> returns false.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _abandoned = true;
            Array.Clear(_items);
            _count = 0;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Takes the next item, waiting while the queue is empty: true with the item; false at the end, with the producer's
    /// exception (null when it simply ran out). Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled while waiting.
    /// </summary>
    public bool Take(out T item, out Exception? error, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            while (_count == 0 && !_completed)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, WorkerWaits.PollMilliseconds);
            }

            if (_count > 0)
            {
                item = _items[_head];
                _items[_head] = default!;
                _head = (_head + 1) % _items.Length;
                _count--;
                Monitor.PulseAll(_gate);
                error = null;
                return true;
            }

            item = default!;
            error = _error;
            return false;
        }
    }
}
