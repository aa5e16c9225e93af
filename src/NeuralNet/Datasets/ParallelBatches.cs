using System.Runtime.ExceptionServices;
using NeuralNet.Training;

namespace NeuralNet.Datasets;

/// <summary>
/// The batches of one pass over a <see cref="BatchDataset"/> with several workers (Keras' <c>PyDataset(workers=n)</c>):
/// <c>workers</c> threads of the pass's own call <see cref="BatchDataset.GetBatch"/> for the next indices, at most
/// <c>workers</c> batches ahead of the one last taken, and the batches come out in the pass's order whatever order the
/// calls finish in, so training on them gives the same weights as one worker.
/// </summary>
/// <remarks>
/// Threads of its own rather than the thread pool: <see cref="BatchDataset.GetBatch"/> typically blocks on files or the
/// network, which starves the pool (it adds threads slowly) and the app's other work with it. A call that fails is
/// reported when its batch's turn comes (the batches before it are still given) and no new call starts after it.
/// <see cref="Dispose"/> waits for the calls still running, so the dataset's <c>OnEpochEnd</c> does not overlap one,
/// except that a pass that stopped early leaves a call still running after <see cref="WorkerWaits.Abandoned"/> to finish
/// on its own rather than hang the caller. The window of <c>workers</c> batches ahead also means one slow batch holds
/// the next ones back once they are that far ahead (Keras' executor keeps <c>max_queue_size</c> calls outstanding).
/// </remarks>
internal sealed class ParallelBatches : IEnumerator<DataBatch>
{
    private readonly BatchDataset _dataset;
    private readonly IEnumerator<int> _indices;
    private readonly CancellationToken _cancellationToken;
    private readonly object _gate = new();
    private readonly DataBatch?[] _batches;
    private readonly ExceptionDispatchInfo?[] _errors;
    private readonly bool[] _ready;
    private Thread[]? _threads;
    private long _taken;
    private long _given;
    private bool _indicesDone;
    private bool _failed;
    private bool _stopped;
    private DataBatch? _current;

    public ParallelBatches(BatchDataset dataset, IEnumerator<int> indices, int workers, CancellationToken cancellationToken)
    {
        _dataset = dataset;
        _indices = indices;
        _cancellationToken = cancellationToken;
        _batches = new DataBatch?[workers];
        _errors = new ExceptionDispatchInfo?[workers];
        _ready = new bool[workers];
    }

    public DataBatch Current => _current ?? throw new InvalidOperationException("MoveNext has not given a batch.");

    object System.Collections.IEnumerator.Current => Current;

    public bool MoveNext()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        _threads ??= Start();
        lock (_gate)
        {
            int slot = (int)(_given % _ready.Length);
            while (!_ready[slot] && !(_indicesDone && _taken == _given))
            {
                _cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, WorkerWaits.PollMilliseconds);
            }

            if (!_ready[slot])
            {
                _current = null;
                return false;
            }

            (DataBatch? batch, ExceptionDispatchInfo? error) = (_batches[slot], _errors[slot]);
            (_batches[slot], _errors[slot], _ready[slot]) = (null, null, false);
            _given++;
            Monitor.PulseAll(_gate);
            error?.Throw();
            _current = batch;
            return true;
        }
    }

    public void Reset() => throw new NotSupportedException();

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }

        long deadline = Environment.TickCount64 + (long)WorkerWaits.Abandoned.TotalMilliseconds;
        bool allEnded = true;
        foreach (Thread thread in _threads ?? [])
        {
            allEnded &= thread.Join(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)));
        }

        if (allEnded)
        {
            // A worker still running may yet move the indices on.
            _indices.Dispose();
        }
    }

    private Thread[] Start()
    {
        var threads = new Thread[_ready.Length];
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new Thread(Work) { IsBackground = true, Name = "NeuralNet batch worker" };
            threads[i].Start();
        }

        return threads;
    }

    // A worker: takes the next index while the batches ahead of the consumer are fewer than the workers, calls GetBatch
    // outside the lock, and leaves the batch (or the exception) in its position's slot.
    private void Work()
    {
        while (true)
        {
            long position;
            int index;
            lock (_gate)
            {
                while (!_stopped && !_failed && !_indicesDone && _taken - _given >= _ready.Length)
                {
                    Monitor.Wait(_gate);
                }

                if (_stopped || _failed || _indicesDone)
                {
                    return;
                }

                if (!_indices.MoveNext())
                {
                    _indicesDone = true;
                    Monitor.PulseAll(_gate);
                    return;
                }

                index = _indices.Current;
                position = _taken++;
            }

            DataBatch? batch = null;
            ExceptionDispatchInfo? error = null;
            try
            {
                batch = _dataset.GetBatch(index);
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }

            lock (_gate)
            {
                Finish(position, batch, error);
            }
        }
    }

    // Under the lock: the result of the call for `position`.
    private void Finish(long position, DataBatch? batch, ExceptionDispatchInfo? error)
    {
        int slot = (int)(position % _ready.Length);
        (_batches[slot], _errors[slot], _ready[slot]) = (batch, error, true);
        _failed |= error is not null;
        Monitor.PulseAll(_gate);
    }
}
