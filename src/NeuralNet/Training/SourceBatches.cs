using System.Globalization;
using NeuralNet.Datasets;
using NeuralNet.Models;

namespace NeuralNet.Training;

/// <summary>
/// The batches of a <see cref="DataSource"/>: a background worker asks the source for the next batches (at most
/// <c>prefetch</c> ahead, in a bounded queue) while the loop trains on the current one; the loop checks each batch
/// against the first one and prepares it for the model. Errors name the data, the epoch and the batch's position.
/// </summary>
internal sealed class SourceBatches : EpochBatches
{
    private readonly DataSource _source;
    private readonly string _role;
    private readonly int? _steps;
    private readonly bool _shuffle;
    private readonly bool _continuing;
    private readonly int _prefetch;
    private readonly Func<DataBatch, Tensor[]> _prepare;
    private readonly CancellationToken _cancellationToken;
    private CancellationTokenSource _stop;
    private PrefetchQueue<DataBatch>? _queue;
    private bool _passFinished;
    private long _seed;
    private int _learnedSteps;
    private int _epoch;
    private int _index;
    private IEnumerator<DataBatch>? _pass;
    private Thread? _worker;
    private TensorShape[]? _firstShapes;
    private string[]? _labels;

    /// <param name="source">The data.</param>
    /// <param name="role">"training data", "validation data" or "data", for messages.</param>
    /// <param name="steps">Batches per pass; null for a full pass.</param>
    /// <param name="shuffle">Whether an indexable source is visited in a seeded order per epoch.</param>
    /// <param name="seed">The shuffle seed.</param>
    /// <param name="continuing">Whether a stream continues from pass to pass (Fit's training data with stepsPerEpoch).</param>
    /// <param name="prefetch">Batches prepared ahead on a worker; 0 asks the source on the loop's thread.</param>
    /// <param name="prepare">Checks a batch against the model and returns its tensors (inputs, targets, weights); throws
    /// <see cref="ArgumentException"/> when it does not fit.</param>
    /// <param name="cancellationToken">Stops a wait for a batch, and is given to asynchronous streams.</param>
    public SourceBatches(DataSource source, string role, int? steps, bool shuffle, long seed, bool continuing, int prefetch, Func<DataBatch, Tensor[]> prepare, CancellationToken cancellationToken)
    {
        _source = source;
        _role = role;
        _steps = steps;
        _shuffle = shuffle;
        _seed = seed;
        _continuing = continuing;
        _prefetch = prefetch;
        _prepare = prepare;
        _cancellationToken = cancellationToken;

        // The source's own cancellation: the caller's token, or the run ending early (an exception, a callback's stop).
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>
    /// Whether batches may differ in lengths beyond the number of samples (a model with variable axes, which checks each
    /// batch against itself in <c>prepare</c>): then only the tensors and their ranks must match batch 0's.
    /// </summary>
    public bool LengthsMayVary { get; init; }

    public override int Steps => _steps ?? _source.BatchesPerPass ?? _learnedSteps;

    public override void ResetSeed(long seed) => _seed = seed;

    public override void Begin(int epoch)
    {
        _epoch = epoch;
        _index = 0;
        _passFinished = false;
        if (_stop.IsCancellationRequested && !_cancellationToken.IsCancellationRequested)
        {
            // The previous pass was stopped early (a callback's StopEvaluating ends one validation, not the run): a new
            // token for this one. The old source stays with the pass left behind, which may still be looking at it.
            _stop = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        }

        _source.BeginPass();
        try
        {
            _pass = _source.OpenPass(epoch, _steps, _shuffle, _seed, _continuing, _stop.Token);
        }
        catch (Exception e)
        {
            _source.EndPass();
            throw e is DataSourceException or OperationCanceledException ? e : Failed(e);
        }

        if (_prefetch > 0)
        {
            // A queue per pass: a worker left behind by an abandoned pass (blocked in the source) keeps its own.
            var queue = new PrefetchQueue<DataBatch>(_prefetch);
            IEnumerator<DataBatch> pass = _pass;
            _queue = queue;
            _worker = new Thread(() => Produce(pass, queue)) { IsBackground = true, Name = "NeuralNet prefetch" };
            _worker.Start();
        }
    }

    public override Tensor[]? Next()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        DataBatch batch;
        if (_worker is null)
        {
            bool more;
            try
            {
                more = _pass!.MoveNext();
            }
            catch (Exception e) when (e is not OperationCanceledException || !_cancellationToken.IsCancellationRequested)
            {
                throw Failed(e);
            }
            catch (OperationCanceledException)
            {
                // The caller's cancellation, reported with the caller's token whichever token the source saw.
                _cancellationToken.ThrowIfCancellationRequested();
                throw;
            }

            if (!more)
            {
                return EndOfPass();
            }

            batch = _pass.Current;
        }
        else if (!_queue!.Take(out batch, out Exception? error, _cancellationToken))
        {
            if (error is null)
            {
                return EndOfPass();
            }

            if (error is OperationCanceledException && _cancellationToken.IsCancellationRequested)
            {
                _cancellationToken.ThrowIfCancellationRequested();
            }

            throw Failed(error);
        }

        Tensor[] tensors = Prepare(batch);
        _index++;
        return tensors;
    }

    public override void End()
    {
        try
        {
            if (!_passFinished)
            {
                // The run stops here (an exception or a callback's stop): tell the source, so a stream waiting for
                // data ends its wait.
                _stop.Cancel();
            }

            if (_worker is not null)
            {
                _queue!.Abandon();

                // A finished pass's worker has ended or is about to. One stopped early may sit in the source (a
                // synchronous stream that waits and ignores cancellation): it is left to finish on its own, with its
                // own queue, rather than hang the caller.
                if (_passFinished)
                {
                    _worker.Join();
                }
                else
                {
                    _worker.Join(WorkerWaits.Abandoned);
                }

                _worker = null;
            }
            else
            {
                _pass?.Dispose();
            }
        }
        finally
        {
            _pass = null;
            _source.EndPass();
        }
    }

    /// <summary>Releases what the source kept between passes; call once the run is over.</summary>
    public void Close()
    {
        try
        {
            _source.Close();
        }
        finally
        {
            _stop.Dispose();
        }
    }

    // The worker: every batch of the pass into the queue (asking the source only when there is room), then the end
    // with the exception that stopped it, if any.
    private static void Produce(IEnumerator<DataBatch> pass, PrefetchQueue<DataBatch> queue)
    {
        Exception? error = null;
        try
        {
            while (queue.WaitForRoom() && pass.MoveNext())
            {
                if (!queue.Add(pass.Current))
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            error = e;

            // Reported before the pass is disposed: disposing may wait for batches still being made after this one.
            queue.Complete(error);
        }
        finally
        {
            try
            {
                pass.Dispose();
            }
            catch (Exception e)
            {
                error ??= e;
            }

            queue.Complete(error);
        }
    }

    private Tensor[]? EndOfPass()
    {
        _passFinished = true;
        if (_index == 0)
        {
            throw new DataSourceException(string.Create(CultureInfo.InvariantCulture,
                $"The {_role} gave no batches{EpochText()}; a source must give at least one batch per pass (a stream that can be enumerated only once needs stepsPerEpoch with enough batches, or a fresh stream per epoch)."), _epoch, -1);
        }

        if (_steps is null && _source.BatchesPerPass is null)
        {
            _learnedSteps = _index;
        }

        return null;
    }

    private Tensor[] Prepare(DataBatch batch)
    {
        CheckSameShapes(batch);
        try
        {
            return _prepare(batch);
        }
        catch (ArgumentException e)
        {
            throw new DataSourceException($"{BatchText()}: {e.Message}", _epoch, _index, e);
        }
    }

    // Every batch has the first batch's tensors with the same shapes but for the number of samples.
    private void CheckSameShapes(DataBatch batch)
    {
        var labels = new List<string>();
        var shapes = new List<TensorShape>();
        Collect(batch.X, "x", labels, shapes);
        Collect(batch.Y, "y", labels, shapes);
        if (batch.SampleWeight is ModelData weights)
        {
            Collect(weights, "sampleWeight", labels, shapes);
        }

        if (_firstShapes is null)
        {
            (_firstShapes, _labels) = ([.. shapes], [.. labels]);
            return;
        }

        if (!labels.SequenceEqual(_labels!))
        {
            throw new DataSourceException($"{BatchText()} has tensors {string.Join(", ", labels)} but batch 0 had {string.Join(", ", _labels!)}; every batch must have the same tensors.", _epoch, _index);
        }

        for (int i = 0; i < shapes.Count; i++)
        {
            TensorShape first = _firstShapes[i], shape = shapes[i];
            if (shape.Rank != first.Rank || (shape.Rank > 1 && !LengthsMayVary && shape.DropFirst() != first.DropFirst()))
            {
                throw new DataSourceException(LengthsMayVary
                    ? $"{BatchText()} has {labels[i]} of shape {shape} but batch 0 had {first}; every batch must have tensors of the same ranks."
                    : $"{BatchText()} has {labels[i]} of shape {shape} but batch 0 had {first}; every batch must have the same shapes but for the number of samples.", _epoch, _index);
            }
        }
    }

    private void Collect(ModelData data, string name, List<string> labels, List<TensorShape> shapes)
    {
        int i = 0;
        foreach ((string? key, Tensor? tensor) in data.Labeled())
        {
            string label = key is null ? (data.Count == 1 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}[{i}]")) : $"{name}['{key}']";
            labels.Add(label);
            shapes.Add(tensor?.Shape ?? throw new DataSourceException($"{BatchText()} has no tensor for {label} (null).", _epoch, _index));
            i++;
        }
    }

    private DataSourceException Failed(Exception e) =>
        new($"{BatchText()} could not be produced: {e.Message}", _epoch, _index, e);

    private string BatchText() => string.Create(CultureInfo.InvariantCulture, $"Batch {_index} of the {_role}{EpochText()}");

    private string EpochText() => _role == "data" ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" (epoch {_epoch + 1})");
}
