using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// Lets a model's predictions run side by side while everything else it does (training, evaluation, saving, custom
/// loops, building) runs alone. The exclusive side is reentrant on its thread, so a callback of <c>Fit</c> may call
/// <c>Predict</c> or <c>Save</c>; a waiting exclusive caller holds back new predictions so that it is not starved. Each
/// prediction gets an <see cref="InferenceRunner"/> of its own: the graph's own layers when no other prediction has
/// them and no other model is built on one of them, otherwise a copy of the layers that shares their parameters, kept
/// for the next prediction. Entering and
/// leaving allocate nothing once the copies a workload needs exist.
/// </summary>
internal sealed class ModelGate
{
    // The gates whose predictions this thread is running (a prediction's layer may predict with another model).
    [ThreadStatic]
    private static ModelGate?[]? t_reading;

    [ThreadStatic]
    private static int t_readingCount;

    private readonly object _sync = new();
    private readonly Stack<InferenceRunner> _copies = new();
    private InferenceRunner? _main;
    private bool _mainTaken;
    private int _copyCount;
    private int _readers;
    private int _exclusiveWaiting;
    private int _owner;
    private int _depth;

    /// <summary>Takes the model for one caller; dispose the result to give it back.</summary>
    /// <exception cref="InvalidOperationException">This thread is running a prediction of this model (it would wait for itself).</exception>
    public ExclusiveScope EnterExclusive()
    {
        if (IsReadByThisThread())
        {
            throw new InvalidOperationException("This thread is inside a prediction of the model (a layer, metric or callback called back into it): Fit, Evaluate, Save and the other methods that use the model's own layers cannot run until the prediction returns.");
        }

        Monitor.Enter(_sync);
        int me = Environment.CurrentManagedThreadId;
        if (_owner == me)
        {
            _depth++;
            return new ExclusiveScope(this);
        }

        try
        {
            if (_readers > 0)
            {
                _exclusiveWaiting++;
                try
                {
                    while (_readers > 0)
                    {
                        Monitor.Wait(_sync);
                    }
                }
                finally
                {
                    // Also when the wait ends in an exception: readers held back for this caller must look again.
                    if (--_exclusiveWaiting == 0)
                    {
                        Monitor.PulseAll(_sync);
                    }
                }
            }
        }
        catch
        {
            Monitor.Exit(_sync);
            throw;
        }

        _owner = me;
        _depth = 1;
        return new ExclusiveScope(this);
    }

    /// <summary>
    /// Starts a prediction: beside others when it can (<see cref="TryEnterShared"/>), otherwise with the model held
    /// exclusively; dispose the result to end it.
    /// </summary>
    public PredictionScope EnterPrediction()
    {
        InferenceRunner? runner = TryEnterShared();
        if (runner is null)
        {
            EnterExclusive();
        }

        return new PredictionScope(this, runner, InferencePass.Begin());
    }

    /// <summary>
    /// Starts a prediction beside others: returns its runner, or null when the prediction must take the exclusive path
    /// instead (the model is not built yet, this thread already holds the model, as a callback of <c>Fit</c> does, or the
    /// model changes state as it predicts: a layer call fixed to training mode, a stateful recurrent layer).
    /// </summary>
    private InferenceRunner? TryEnterShared()
    {
        Graph graph;
        lock (_sync)
        {
            // A call fixed to training mode or a stateful recurrent layer changes state as it runs (moving statistics, a
            // dropout stream, carried states), so such a model predicts alone, on its own layers, as one at a time would.
            if (_main is null || _owner == Environment.CurrentManagedThreadId || _main.Executor.PredictsAlone)
            {
                return null;
            }

            // A prediction nested in one of this thread's own does not wait behind an exclusive caller that waits for it.
            bool nested = IsReadByThisThread();
            while (_exclusiveWaiting > 0 && !nested)
            {
                Monitor.Wait(_sync);
            }

            if (_main is null)
            {
                return null;
            }

            _readers++;
            Kernels.OverlappingPredictions.Enter();
            PushReading(this);
            if (!_mainTaken && !SharesLayersWithAnotherModel(_main.Executor.Graph))
            {
                _mainTaken = true;
                return _main;
            }

            if (_copies.TryPop(out InferenceRunner? copy))
            {
                return copy;
            }

            graph = _main.Executor.Graph;

            // Room for every copy, so that giving one back never grows the stack (a warm prediction allocates nothing).
            _copies.EnsureCapacity(++_copyCount);
        }

        // A new copy is built outside the lock: the readers' count keeps the graph from changing meanwhile.
        try
        {
            return new InferenceRunner(GraphExecutor.ForInference(graph));
        }
        catch
        {
            lock (_sync)
            {
                _copyCount--;
            }

            ExitShared(null);
            throw;
        }
    }

    /// <summary>Ends a prediction started by <see cref="TryEnterShared"/>, keeping its runner for the next one.</summary>
    private void ExitShared(InferenceRunner? runner)
    {
        Kernels.OverlappingPredictions.Exit();
        PopReading(this);
        lock (_sync)
        {
            if (runner is not null && ReferenceEquals(runner, _main))
            {
                _mainTaken = false;
            }
            else if (runner is not null && _main is not null && ReferenceEquals(runner.Executor.Graph, _main.Executor.Graph))
            {
                _copies.Push(runner);
            }

            _readers--;
            if (_readers == 0 && _exclusiveWaiting > 0)
            {
                Monitor.PulseAll(_sync);
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="executor"/> the graph's executor, dropping the copies of an earlier graph. Called with the
    /// model held exclusively, so no prediction is running.
    /// </summary>
    public void SetExecutor(GraphExecutor executor)
    {
        IReadOnlyList<Layer> layers = executor.Graph.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            layers[i].RecordModel(this);
        }

        lock (_sync)
        {
            _main = new InferenceRunner(executor);
            _mainTaken = false;
            _copies.Clear();
            _copyCount = 0;
        }
    }

    // Whether another model runs one of the graph's layers (checked when a prediction starts: that model may be built
    // after this one). Its exclusive uses (Fit, Evaluate, the custom-loop methods) run the layers themselves, so this
    // model's predictions run on copies, as the other's do.
    private static bool SharesLayersWithAnotherModel(Graph graph)
    {
        IReadOnlyList<Layer> layers = graph.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i].IsInSeveralModels)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Forgets the executor (the model's build was undone). Called with the model held exclusively.</summary>
    public void ForgetExecutor()
    {
        lock (_sync)
        {
            _main = null;
            _mainTaken = false;
            _copies.Clear();
            _copyCount = 0;
        }
    }

    private static void PushReading(ModelGate gate)
    {
        ModelGate?[] reading = t_reading ??= new ModelGate?[4];
        if (t_readingCount == reading.Length)
        {
            Array.Resize(ref reading, reading.Length * 2);
            t_reading = reading;
        }

        reading[t_readingCount++] = gate;
    }

    private static void PopReading(ModelGate gate)
    {
        ModelGate?[] reading = t_reading!;
        for (int i = t_readingCount - 1; i >= 0; i--)
        {
            if (ReferenceEquals(reading[i], gate))
            {
                Array.Copy(reading, i + 1, reading, i, t_readingCount - i - 1);
                reading[--t_readingCount] = null;
                return;
            }
        }
    }

    private bool IsReadByThisThread()
    {
        ModelGate?[]? reading = t_reading;
        for (int i = 0; i < t_readingCount; i++)
        {
            if (ReferenceEquals(reading![i], this))
            {
                return true;
            }
        }

        return false;
    }

    private void ExitExclusive()
    {
        if (--_depth == 0)
        {
            _owner = 0;
            Monitor.PulseAll(_sync);
        }

        Monitor.Exit(_sync);
    }

    /// <summary>One prediction until disposed: on a runner of its own, or with the model held exclusively.</summary>
    public readonly ref struct PredictionScope(ModelGate gate, InferenceRunner? runner, long enclosingPass)
    {
        /// <summary>The executor to run on; null for the model's own (held exclusively, and perhaps not built yet).</summary>
        public GraphExecutor? Executor => runner?.Executor;

        /// <summary>The runner's one-input array; null with the model held exclusively.</summary>
        public Tensor[]? SingleInput => runner?.SingleInput;

        /// <summary>Ends the prediction.</summary>
        public void Dispose()
        {
            InferencePass.End(enclosingPass);
            if (runner is null)
            {
                gate.ExitExclusive();
            }
            else
            {
                gate.ExitShared(runner);
            }
        }
    }

    /// <summary>The model held by one caller until disposed.</summary>
    public readonly ref struct ExclusiveScope(ModelGate gate)
    {
        /// <summary>Gives the model back.</summary>
        public void Dispose()
        {
            // Whatever held the model may have changed its weights (or another model's, sharing layers).
            InferencePass.Renew();
            gate.ExitExclusive();
        }
    }
}
