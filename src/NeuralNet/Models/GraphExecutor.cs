using System.Numerics.Tensors;
using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// Runs a <see cref="Graph"/>: forward through its nodes in order, backward in reverse, summing the gradients of a
/// tensor that several nodes read (a residual connection) and giving each call of a shared layer its own instance
/// (the same parameters, its own caches), so that the calls' weight gradients add up in the shared parameters.
/// </summary>
/// <remarks>
/// Every buffer is created on the first batch of a given size and reused, so a step allocates nothing once warm.
/// A node computes its input gradient only when something upstream has trainable parameters (the first dense layer of a
/// chain skips it, and so does the first trainable layer above a frozen base), and a node with no trainable parameters
/// and no such input is not run backward at all.
/// </remarks>
internal sealed partial class GraphExecutor
{
    private readonly Step[] _steps;
    private readonly int[] _inputSlots;
    private readonly int[] _outputSlots;
    private readonly TensorShape[] _slotShapes;
    private readonly bool[] _requiresGradient;
    private readonly int[] _consumers;
    private readonly bool _inferenceCopy;
    private readonly bool _fuse;
    private long _plannedTrainability;
    private Step? _lacksInputGradient;
    private Layer? _lacksInputGradientBecause;
    private readonly Layer?[] _trainableUpstream;
    private readonly Layer[] _trainabilitySources;
    private readonly bool[] _fusable;
    private readonly Layer?[] _outputProducers;
    private readonly Tensor?[] _values;
    private readonly Tensor?[] _masks;
    private readonly Tensor?[] _outputMasks;
    private readonly Tensor?[] _gradients;
    private readonly bool[] _ownsGradient;
    private readonly Tensor?[] _sumBuffers;
    private readonly Tensor[] _outputs;
    private Tensor[]? _passInputs;
    private Tensor?[]? _passOutputs;
    private Tensor?[]? _passMasks;
    private List<Tensor>[]? _passViews;
    private Tensor?[]? _passViewSources;
    private (int Rows, int PassRows)? _passRows;

    /// <summary>Prepares to run <paramref name="graph"/>, creating an instance for every repeated call of a shared layer.</summary>
    public GraphExecutor(Graph graph)
        : this(graph, inferenceCopy: false, fuse: true)
    {
    }

    // inferenceCopy: every node runs on a new copy of its layer (CopyForCall), sharing the parameters, for forward passes
    // in inference mode only; the graph's own layers are left as they are.
    // fuse: whether a convolution may run together with the max pooling that reads its output (FuseConvolutionsWithPooling).
    // inputShapes: the concrete sample shapes of a variant (GraphExecutor.Variants.cs), whose every node runs on a copy of
    // its layer built for the shapes that follow from them; null for the graph's own shapes.
    // randomSources: a variant's layers draw from these instances' generators (the root's, step by step).
    private GraphExecutor(Graph graph, bool inferenceCopy, bool fuse, TensorShape[]? inputShapes = null, Layer[]? randomSources = null)
    {
        Graph = graph;

        // One slot per symbolic tensor: a node with several outputs (an LSTM's output and states) fills several.
        var slotOf = new Dictionary<SymbolicTensor, int>(ReferenceEqualityComparer.Instance);
        foreach (Node node in graph.Nodes)
        {
            foreach (SymbolicTensor output in node.Outputs)
            {
                slotOf[output] = slotOf.Count;
            }
        }

        int slots = slotOf.Count;
        _slotShapes = new TensorShape[slots];
        _requiresGradient = new bool[slots];
        _trainableUpstream = new Layer?[slots];
        _consumers = new int[slots];
        _inferenceCopy = inferenceCopy;
        _fuse = fuse;
        var steps = new List<Step>();
        foreach (Node node in graph.Nodes)
        {
            int[] outputSlots = [.. node.Outputs.Select(t => slotOf[t])];
            foreach (SymbolicTensor output in node.Outputs)
            {
                _slotShapes[slotOf[output]] = inputShapes is null || !node.IsInput ? output.Shape : inputShapes[graph.Inputs.ToList().IndexOf(output)];
            }

            if (node.IsInput)
            {
                if (!inferenceCopy)
                {
                    node.Layer.ComputesInputGradient = false;
                }

                continue;
            }

            int[] inputSlots = [.. node.Inputs.Select(t => slotOf[t])];
            Layer instance = inputShapes is not null ? node.Layer.CopyForShapes(graph.LocalIndex(node), node, [.. inputSlots.Select(slot => _slotShapes[slot])], lengthVariant: true)
                : inferenceCopy ? node.Layer.CopyForCall(graph.LocalIndex(node), node) : node.Layer.InstanceForCall(node, graph.LocalIndex(node));
            if (inputShapes is not null)
            {
                instance.RandomSource = randomSources?[steps.Count];
                for (int k = 0; k < outputSlots.Length; k++)
                {
                    _slotShapes[outputSlots[k]] = instance.OutputShapes[k];
                }
            }

            foreach (int s in inputSlots)
            {
                _consumers[s]++;
            }

            if (instance.ActivityRegularizer is not null && outputSlots.Length > 1)
            {
                throw new NotSupportedException($"{instance.GetType().Name} '{instance.Name}' has {outputSlots.Length} outputs and an activity regularizer; activity regularizers are supported on layers with one output (Keras would penalize every output).");
            }

            steps.Add(new Step(node.Layer, instance, inputSlots, outputSlots) { Training = node.Training, WarnsOnMask = instance.DestroysMasks });
        }

        _steps = [.. steps];
        PredictsAlone = steps.Any(s => s.Training == true) || IStatefulLayer.AnyStateful(graph.Layers);
        _trainabilitySources = [.. WithInnerLayers(steps.Select(s => s.Instance.Primary)).Distinct(ReferenceEqualityComparer.Instance).Cast<Layer>()];
        _inputSlots = [.. graph.Inputs.Select(t => slotOf[t])];
        _outputSlots = [.. graph.Outputs.Select(t => slotOf[t])];
        _fusable = new bool[_outputSlots.Length];
        _outputProducers = new Layer?[_outputSlots.Length];
        for (int k = 0; k < _outputSlots.Length; k++)
        {
            int slot = _outputSlots[k];
            Step? producer = ProducerOf(slot);
            // A layer with an activity regularizer needs the gradient with respect to its output, not its logits.
            // Whether the layer ends with softmax is asked at each step (CanFuse): its activation may be set between steps.
            _fusable[k] = producer is not null && producer.InputSlots.Length == 1 && producer.OutputSlots.Length == 1
                && producer.Instance.ActivityRegularizer is null
                && _consumers[slot] == 0 && _outputSlots.Count(s => s == slot) == 1;
            _outputProducers[k] = producer?.Instance;
        }

        PlanBackward();

        _values = new Tensor?[slots];
        _masks = new Tensor?[slots];
        _outputMasks = new Tensor?[_outputSlots.Length];
        _gradients = new Tensor?[slots];
        _ownsGradient = new bool[slots];
        _sumBuffers = new Tensor?[slots];
        _outputs = new Tensor[_outputSlots.Length];
        _variable = inputShapes is null && graph.Inputs.Any(t => t.IsVariable);
        // Every layer runs on copies per length, a stateful layer past the variable axes (after a pooling) too. SimpleRnn,
        // Lstm, Gru and Rnn copies share the layer's carried states (a nested model's too: its layers are the graph's); a
        // stateful layer inside a wrapper (Bidirectional, TimeDistributed) would get copies with states of their own.
        if (_variable && !inferenceCopy && IStatefulLayer.FirstNeedingFixedLengths(graph.Layers) is Layer stateful)
        {
            throw new ArgumentException($"The model has inputs with variable axes and a stateful layer, {stateful}, that carries its states only on inputs of fixed lengths (it wraps a stateful layer or is held by a wrapper, whose copies for other lengths would carry states of their own): give the model inputs of fixed lengths, or use a stateful SimpleRnn, Lstm, Gru or Rnn directly in the model.");
        }
    }

    /// <summary>
    /// The sum of the <see cref="Layer.TrainabilityVersion"/> of every layer the graph runs (wrapped layers included): each
    /// only grows, so the sum changes exactly when one of them changed since the last <see cref="PlanBackward()"/>. Summed
    /// again only when <see cref="Layer.VersionChanges"/> moved since the last sum: a training step reads one integer. Not
    /// thread-safe: only what holds the model alone plans (inference copies plan once, when made).
    /// </summary>
    private long TrainabilityStamp() => SumOverLayers(parameterSets: false, ref _trainabilityStamp, ref _trainabilitySummedAt);

    // The last TrainabilityStamp and the Layer.VersionChanges it was summed at (-1: never summed).
    private long _trainabilityStamp;
    private long _trainabilitySummedAt = -1;

    /// <summary>
    /// The sum of the <see cref="Layer.ParameterSetVersion"/> of every layer the graph runs: it changes exactly when one of
    /// them gained parameters (LoRA enabled). Summed again only when <see cref="Layer.VersionChanges"/> moved since the last
    /// sum, so a step reads one integer (and takes an uncontended lock: a model's parameters are read from any thread).
    /// Allocates nothing.
    /// </summary>
    internal long ParameterSetStamp()
    {
        lock (_parameterStampLock)
        {
            return SumOverLayers(parameterSets: true, ref _parameterStamp, ref _parameterStampSummedAt);
        }
    }

    // The sum of every run layer's ParameterSetVersion or TrainabilityVersion, kept in `sum` and summed again only when
    // Layer.VersionChanges moved since `summedAt`. The count is read before the sum: a change during the sum moves it
    // again, and the next call sums again.
    private long SumOverLayers(bool parameterSets, ref long sum, ref long summedAt)
    {
        long changes = Layer.VersionChanges;
        if (changes != summedAt)
        {
            long stamp = 0;
            foreach (Layer layer in _trainabilitySources)
            {
                stamp += parameterSets ? layer.ParameterSetVersion : layer.TrainabilityVersion;
            }

            sum = stamp;
            summedAt = changes;
        }

        return sum;
    }

    private readonly object _parameterStampLock = new();
    private long _parameterStamp;
    private long _parameterStampSummedAt = -1;

    private static IEnumerable<Layer> WithInnerLayers(IEnumerable<Layer> layers)
    {
        foreach (Layer layer in layers)
        {
            yield return layer;
            foreach (Layer inner in WithInnerLayers(layer.InnerLayers.Select(l => l.Primary)))
            {
                yield return inner;
            }
        }
    }

    /// <summary>
    /// Decides, from which parameters are trainable now, what the backward pass computes: a node computes its input gradient
    /// only when something upstream has trainable parameters, and a node with neither trainable parameters nor such an
    /// input is not run backward (frozen layers at the bottom of a model cost no backward work). Then pairs convolutions
    /// with the max pooling that alone reads their output, which depends on those decisions. Run when the executor is made
    /// and again by the next forward pass after a layer's <see cref="Layer.Trainable"/> changed.
    /// </summary>
    private void PlanBackward() => PlanBackward(_inputGradientsWanted);

    // inputGradients: whether the inputs' slots require a gradient (Model.ComputesInputGradients).
    private void PlanBackward(bool inputGradients)
    {
        PlansMade++;
        _plannedTrainability = TrainabilityStamp();
        Array.Clear(_requiresGradient);
        Array.Clear(_trainableUpstream);
        _lacksInputGradient = null;
        _lacksInputGradientBecause = null;
        PlanInputGradients(inputGradients);
        foreach (Step step in _steps)
        {
            bool needsInputGradient = false;
            Layer? trainableBefore = null;
            if (!_inferenceCopy)
            {
                foreach (int s in step.InputSlots)
                {
                    needsInputGradient |= _requiresGradient[s];
                    trainableBefore ??= _trainableUpstream[s];
                }
            }

            step.Instance.ComputesInputGradient = needsInputGradient;
            step.NeedsInputGradient = needsInputGradient;
            if (needsInputGradient && _lacksInputGradient is null && step.Instance.LacksInputGradient)
            {
                // Why it is needed, for the refusal: a layer before it with trainable weights, or else the input gradients.
                _lacksInputGradient = step;
                _lacksInputGradientBecause = trainableBefore;
            }

            step.HasParameters = step.Layer.HasTrainableParameters;
            foreach (int o in step.OutputSlots)
            {
                _requiresGradient[o] = needsInputGradient || step.HasParameters;
                _trainableUpstream[o] = step.HasParameters ? step.Layer : trainableBefore;
            }

            step.PooledBy = null;
            step.PooledFrom = null;
            step.RanPooled = false;
            step.PooledGradient = null;
        }

        if (_fuse)
        {
            FuseConvolutionsWithPooling(_consumers);
        }

        KeepPlan();
    }

    /// <summary>
    /// Refuses, before anything runs, a forward and backward pass whose backward pass would need an input gradient that a
    /// layer cannot compute (a <see cref="Lambda"/> without a gradient function with trainable weights before it, or after
    /// an input while input gradients are planned). Plans the backward pass as the next forward pass will (with
    /// <paramref name="skipInputGradients"/>), on this executor: a variant for other lengths runs copies of the same
    /// layers, whose plan is the same. Allocation-free once the plan is made.
    /// </summary>
    /// <param name="method">What needs the gradient, for the message (<c>Fit</c>, <c>TrainOnBatch</c>, ...).</param>
    /// <param name="skipInputGradients">Whether the pass leaves out the input gradients the model asks for (a training step).</param>
    /// <exception cref="InvalidOperationException">Such a layer is on the backward path; the message names it and why.</exception>
    public void RequireInputGradients(string method, bool skipInputGradients)
    {
        if (_inferenceCopy)
        {
            return;
        }

        UsePlan(_inputGradientsWanted && !skipInputGradients);
        ThrowIfLacking(method);
    }

    /// <summary>
    /// Refuses, before anything changes, a backward pass through the last forward pass (on the executor that ran it: this
    /// one or a variant) that would need an input gradient a layer cannot compute. Plans the backward pass again first when
    /// a layer's trainability changed since, with that pass's input-gradient choice (a change of
    /// <see cref="Model.ComputesInputGradients"/> since waits for the next forward pass, whose caches the backward pass reads).
    /// </summary>
    /// <exception cref="InvalidOperationException">Such a layer is on the backward path; the message names it and why.</exception>
    public void RequireBackward(string method)
    {
        GraphExecutor ran = Active;
        ran.UsePlan(ran._inputGradientsPlanned);

        ran.ThrowIfLacking(method);
    }

    private void ThrowIfLacking(string method)
    {
        if (_lacksInputGradient is Step step)
        {
            throw new InvalidOperationException(step.Instance.InputGradientUnavailable(method, _lacksInputGradientBecause));
        }
    }

    /// <summary>
    /// An executor for forward passes in inference mode on copies of the graph's layers that share their parameters:
    /// a concurrent prediction runs on one while another thread uses the graph's own layers or another copy.
    /// </summary>
    public static GraphExecutor ForInference(Graph graph) => new(graph, inferenceCopy: true, fuse: true);

    /// <summary>
    /// An executor that runs every layer on its own, never a convolution together with its pooling: what the fused path's
    /// results are checked against.
    /// </summary>
    internal static GraphExecutor LayerByLayer(Graph graph, bool inference) => new(graph, inference, fuse: false);

    /// <summary>The graph this executor runs.</summary>
    public Graph Graph { get; }

    /// <summary>The layer instance of every node, in execution order.</summary>
    public IEnumerable<Layer> Instances => _steps.Select(s => s.Instance);

    /// <summary>
    /// Whether output <paramref name="output"/> can take the fused softmax + cross-entropy gradient: its layer ends with
    /// softmax, takes one input, and nothing else reads the output.
    /// </summary>
    public bool CanFuse(int output) => _fusable[output] && _outputProducers[output]!.EndsWithSoftmax;

    /// <summary>
    /// The activity regularizers' loss of the last forward pass (or passes, for <see cref="ForwardInPasses"/>): the sum of
    /// every regularized layer's penalty over the whole batch, divided by its rows (Keras adds each layer's penalty / batch).
    /// </summary>
    public float ActivityLoss
    {
        get => Active._activityLoss;
        private set => _activityLoss = value;
    }

    private float _activityLoss;

    /// <summary>
    /// The losses layers added with <c>AddLoss</c> (Keras' <c>add_loss</c>; each layer's sum is its
    /// <see cref="Layer.AddedLoss"/>) in the last forward pass: their sum as the layers gave them. The loss paths run a
    /// batch whose layers add a loss in one pass (<see cref="ForwardForLoss"/>); after a prediction in passes
    /// (<see cref="ForwardInPasses"/>, whose callers read no loss) it is each pass's sum weighted by its rows.
    /// </summary>
    public float AddedLoss
    {
        get => Active._addedLoss;
        private set => _addedLoss = value;
    }

    private float _addedLoss;

    // Whether a layer of this executor has added a loss in a forward pass: its loss-computing inference runs whole batches.
    private bool _addsLoss;

    private static Tensor ZerosLike(Step step, Tensor output)
    {
        // The buffer is made from the output's shape only when it is too small: DropFirst would make an array every step.
        if (step.ZeroGradientBuffer is null || step.ZeroGradientBuffer.Shape[0] < output.Shape[0])
        {
            step.ZeroGradientBuffer = new Tensor(output.Shape);
        }

        Tensor zeros = step.ZeroGradientBuffer.FirstRows(output.Shape[0]);
        zeros.AsSpan().Clear();
        return zeros;
    }

    private double SumAddedLosses()
    {
        double sum = 0;
        foreach (Step step in _steps)
        {
            sum += step.Instance.AddedLossWithInnerLayers();
        }

        return sum;
    }

    /// <summary>
    /// Whether the last forward pass had a loss of a layer's own: a layer (or a layer inside it) added one with
    /// <c>AddLoss</c>, or has an activity regularizer. A model compiled without a loss trains on these and on the weights'
    /// penalties; the trainer refuses a batch with none (Keras' "No loss to compute").
    /// </summary>
    public bool LastPassHasLayerLosses => Active.AnyAddsLoss() || Active.AnyActivityRegularizer();

    private bool AnyActivityRegularizer()
    {
        foreach (Step step in _steps)
        {
            if (HasActivityRegularizer(step.Instance))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasActivityRegularizer(Layer layer)
    {
        if (layer.ActivityRegularizer is not null)
        {
            return true;
        }

        IReadOnlyList<Layer> inner = layer.InnerLayers;
        for (int i = 0; i < inner.Count; i++)
        {
            if (HasActivityRegularizer(inner[i]))
            {
                return true;
            }
        }

        return false;
    }

    private bool AnyAddsLoss()
    {
        foreach (Step step in _steps)
        {
            if (AddsLoss(step.Instance))
            {
                return true;
            }
        }

        return false;
    }

    // Whether the layer or a layer inside it called AddLoss in the last forward pass: its backward pass adds the term's gradient.
    private static bool AddsLoss(Layer layer)
    {
        if (layer.AddsLoss)
        {
            return true;
        }

        IReadOnlyList<Layer> inner = layer.InnerLayers;
        for (int i = 0; i < inner.Count; i++)
        {
            if (AddsLoss(inner[i]))
            {
                return true;
            }
        }

        return false;
    }

    private double SumActivityPenalties()
    {
        double sum = 0;
        foreach (Step step in _steps)
        {
            sum += ActivityPenaltyOf(step.Instance);
        }

        return sum;
    }

    // A wrapper's inner layers count too (Keras' Bidirectional calls its recurrent layers through __call__).
    private static double ActivityPenaltyOf(Layer layer)
    {
        double sum = layer.ActivityRegularizer is null ? 0 : layer.ActivityPenalty;
        IReadOnlyList<Layer> inner = layer.InnerLayers;
        for (int i = 0; i < inner.Count; i++)
        {
            sum += ActivityPenaltyOf(inner[i]);
        }

        return sum;
    }

    /// <summary>
    /// Which outputs are sure to carry a mask, judged from the layers' settings before any pass (<see cref="Layer.MasksSurely"/>
    /// along the graph); an output marked false may still get one from a layer that decides only when it runs.
    /// </summary>
    internal bool[] OutputsSurelyMasked()
    {
        bool[] sure = SurelyMaskedSlots(reportDrops: false);
        return [.. _outputSlots.Select(slot => sure[slot])];
    }

    // Which slots are sure to carry a mask (Layer.MasksSurely along the nodes); with reportDrops, every node that surely
    // receives a mask its layer destroys is reported to the graph's warnings on the way.
    private bool[] SurelyMaskedSlots(bool reportDrops)
    {
        var sure = new bool[_masks.Length];
        foreach (Step step in _steps)
        {
            bool[] inputs = [.. step.InputSlots.Select(slot => sure[slot])];
            if (reportDrops && step.WarnsOnMask && inputs.Contains(true))
            {
                ReportDroppedMask(step);
            }

            for (int k = 0; k < step.OutputSlots.Length; k++)
            {
                sure[step.OutputSlots[k]] = !step.Instance.DropsMasks && step.Instance.MasksSurelyAt(k, inputs);
            }
        }

        return sure;
    }

    /// <summary>
    /// Adds to the graph's warnings (<see cref="Model.Warnings"/>) every layer that is sure to receive a mask it destroys
    /// (<see cref="Layer.DestroysMasks"/>), judged from the layers' settings as <see cref="OutputsSurelyMasked"/> judges;
    /// a mask that only a pass reveals (after an attention layer, a <c>TimeDistributed</c>, a layer type of another
    /// assembly) is reported by the forward pass that meets it. Called once the layers have their names.
    /// </summary>
    public void ReportSureMaskDrops() => _ = SurelyMaskedSlots(reportDrops: true);

    // Once per step: later passes skip the lock (a variant's or a concurrent prediction's steps report the same layer once more,
    // which the log ignores).
    private void ReportDroppedMask(Step step)
    {
        step.MaskReported = true;
        Graph.Warnings.MaskDropped(step.Layer);
    }

    /// <summary>The masks of the last forward pass's outputs (null entries for outputs without one), as Keras applies them to losses and metrics.</summary>
    public ReadOnlySpan<Tensor?> OutputMasks => Active._outputMasks;

    /// <summary>
    /// Whether the model changes state as it predicts, so that its predictions run alone on its own layers: a node fixed
    /// to training mode (Keras' <c>training=True</c> on a call) or a stateful recurrent layer (states carried across calls).
    /// </summary>
    public bool PredictsAlone { get; }

    /// <summary>The most rows a training forward pass has had: the layers hold buffers of that many rows.</summary>
    public int LargestTrainingBatch { get; private set; }

    /// <summary>
    /// The most rows an inference pass of Evaluate or Predict runs at once: the training batch, whose buffers the layers
    /// already hold, and at least <see cref="MinimumInferenceRows"/>. A larger batch runs in passes
    /// (<see cref="ForwardInPasses"/>), so evaluating at batch 1000 does not make every layer keep buffers of 1000 rows.
    /// A model that changes state as it predicts (<see cref="PredictsAlone"/>) runs every batch in one pass: its rows are
    /// not independent (a stateful layer continues sample i of the last batch in row i; a call fixed to training mode
    /// takes the whole batch's statistics).
    /// </summary>
    public int InferenceRows => PredictsAlone ? int.MaxValue : Math.Max(LargestTrainingBatch, MinimumInferenceRows);

    /// <summary>Rows enough for a product to run at full speed; see <see cref="InferenceRows"/>.</summary>
    public const int MinimumInferenceRows = 128;

    /// <summary>
    /// Runs the graph in inference mode on a batch of any size in passes of at most <paramref name="maxRows"/> rows,
    /// gathering the outputs and their masks into buffers of the whole batch: every row gets the bits one pass over the
    /// whole batch gives it (rows are independent in inference, except in a model that <see cref="PredictsAlone"/>, whose
    /// <see cref="InferenceRows"/> is the whole batch), while the layers keep buffers of
    /// <paramref name="maxRows"/> rows only. Returns the outputs (overwritten by the next call).
    /// </summary>
    public Tensor[] ForwardInPasses(ReadOnlySpan<Tensor> inputs, int maxRows) => RunInPasses(inputs, maxRows, forLoss: false);

    /// <summary>
    /// Runs the graph in inference mode for a loss (Evaluate, validation, TestOnBatch): in passes of at most
    /// <see cref="InferenceRows"/> rows as <see cref="ForwardInPasses"/>, except a batch whose layers add a loss
    /// (<c>AddLoss</c>), which runs in one pass. A layer's term is its own function of the batch it sees (Keras' add_loss
    /// docstring adds <c>ops.sum(x)</c>, a VAE a mean), so no rule combines the passes' terms into the whole batch's.
    /// Whether a layer adds a loss shows in a pass: the first batch that finds out runs its first pass twice.
    /// </summary>
    public Tensor[] ForwardForLoss(ReadOnlySpan<Tensor> inputs) => RunInPasses(inputs, InferenceRows, forLoss: true);

    private Tensor[] RunInPasses(ReadOnlySpan<Tensor> inputs, int maxRows, bool forLoss)
    {
        GraphExecutor runner = RunnerFor(inputs);
        if (runner != this)
        {
            return runner.RunInPasses(inputs, maxRows, forLoss);
        }

        int rows = inputs[0].Shape[0];
        if (rows <= maxRows || (forLoss && _addsLoss))
        {
            return Forward(inputs, training: false);
        }

        _passInputs ??= new Tensor[inputs.Length];
        double activityPenalty = 0;
        double addedLoss = 0;
        _passOutputs ??= new Tensor?[_outputSlots.Length];
        _passMasks ??= new Tensor?[_outputSlots.Length];
        for (int start = 0; start < rows; start += maxRows)
        {
            int count = Math.Min(maxRows, rows - start);
            for (int i = 0; i < inputs.Length; i++)
            {
                _passInputs[i] = PassView(inputs[i], start, count, i);
            }

            Tensor[] outputs = Forward(_passInputs, training: false);
            if (forLoss && _addsLoss)
            {
                // A layer adds a loss (found in this first pass): the whole batch runs at once, its term the layer's.
                Array.Clear(_passInputs);
                return Forward(inputs, training: false);
            }

            activityPenalty += SumActivityPenalties();
            addedLoss += SumAddedLosses() * count;
            for (int k = 0; k < outputs.Length; k++)
            {
                CopyRows(outputs[k], ref _passOutputs[k], rows, start);
                if (_outputMasks[k] is Tensor mask)
                {
                    CopyRows(mask, ref _passMasks[k], rows, start);
                }
            }
        }

        Array.Clear(_passInputs);
        ActivityLoss = (float)(activityPenalty / rows);
        AddedLoss = (float)(addedLoss / rows);
        _passRows = (rows, maxRows);
        for (int k = 0; k < _outputs.Length; k++)
        {
            _outputs[k] = BatchView(ref _passOutputs[k], rows, _outputs[k].Shape.DropFirst());
            _outputMasks[k] = _outputMasks[k] is Tensor mask ? BatchView(ref _passMasks[k], rows, mask.Shape.DropFirst()) : null;
        }

        return _outputs;
    }

    /// <summary>Runs the graph on one batch per input; returns the outputs (owned by the layers, overwritten by the next call).</summary>
    public Tensor[] Forward(ReadOnlySpan<Tensor> inputs, bool training) => Forward(inputs, training, skipInputGradients: false);

    /// <summary>
    /// Runs the graph on one batch per input, planning the input gradients the model asks for
    /// (<see cref="InputGradientsWanted"/>) unless <paramref name="skipInputGradients"/>: a training step, whose backward
    /// pass only needs the parameters' gradients, leaves them out. Returns the outputs (owned by the layers).
    /// </summary>
    public Tensor[] Forward(ReadOnlySpan<Tensor> inputs, bool training, bool skipInputGradients)
    {
        // A model run from inside a layer's forward pass (a Lambda calling another model) runs its own layers.
        Layer? outer = Layer.SuspendForward();
        try
        {
            SkippedInputGradients = _inputGradientsWanted && skipInputGradients;
            return ForwardGraph(inputs, training, _inputGradientsWanted && !skipInputGradients);
        }
        finally
        {
            Layer.ResumeForward(outer);
        }
    }

    /// <summary>Whether the last forward pass left out the input gradients the model asks for (a training step).</summary>
    public bool SkippedInputGradients { get; private set; }

    // inputGradients: whether this pass plans the input gradients (the model's wish, unless the caller skips them).
    private Tensor[] ForwardGraph(ReadOnlySpan<Tensor> inputs, bool training, bool inputGradients)
    {
        GraphExecutor runner = RunnerFor(inputs);
        if (runner != this)
        {
            if (training && inputs[0].Shape[0] > LargestTrainingBatch)
            {
                LargestTrainingBatch = inputs[0].Shape[0];
            }

            return runner.ForwardGraph(inputs, training, inputGradients);
        }

        _passRows = null;
        if (!_inferenceCopy)
        {
            UsePlan(inputGradients);
        }

        _inputGradientsReady = false;

        if (training && inputs.Length > 0 && inputs[0].Shape[0] > LargestTrainingBatch)
        {
            LargestTrainingBatch = inputs[0].Shape[0];
        }

        for (int i = 0; i < _inputSlots.Length; i++)
        {
            _values[_inputSlots[i]] = inputs[i];
        }

        foreach (Step step in _steps)
        {
            if (step.PooledBy is not null)
            {
                // Run by its pooling step unless a mask comes with its input (the pooled path keeps none).
                step.RanPooled = _masks[step.InputSlots[0]] is null;
                if (step.RanPooled)
                {
                    continue;
                }
            }

            if (step.PooledFrom is Step convolution && convolution.RanPooled)
            {
                // The flag this executor decided the fusion on (another model sharing the layer may have set it otherwise).
                convolution.Instance.ComputesInputGradient = convolution.NeedsInputGradient;
                _values[step.OutputSlot] = ((Conv2D)convolution.Instance).ForwardMaxPooled(_values[convolution.InputSlots[0]]!, (MaxPooling2D)step.Instance,
                    convolution.Training ?? training);
                _masks[step.OutputSlot] = null;
                continue;
            }

            int[] slots = step.InputSlots;
            bool stepTraining = step.Training ?? training;
            bool masked = false;
            for (int j = 0; j < slots.Length; j++)
            {
                step.InputMasks[j] = _masks[slots[j]];
                masked |= step.InputMasks[j] is not null;
            }

            Tensor output;
            if (masked)
            {
                for (int j = 0; j < slots.Length; j++)
                {
                    step.InputValues[j] = _values[slots[j]]!;
                }

                output = step.Instance.Forward(step.InputValues, step.InputMasks, stepTraining);
                if (step.WarnsOnMask && !step.MaskReported)
                {
                    ReportDroppedMask(step);
                }
            }
            else if (slots.Length == 1)
            {
                output = step.Instance.Forward(_values[slots[0]]!, stepTraining);
            }
            else
            {
                for (int j = 0; j < slots.Length; j++)
                {
                    step.InputValues[j] = _values[slots[j]]!;
                }

                output = step.Instance.Forward(step.InputValues, stepTraining);
            }

            _values[step.OutputSlot] = output;
            _masks[step.OutputSlot] = step.Instance.OutputMask;
            for (int k = 1; k < step.OutputSlots.Length; k++)
            {
                _values[step.OutputSlots[k]] = step.Instance.GetOutput(k);
                _masks[step.OutputSlots[k]] = step.Instance.OutputMaskAt(k);
            }
        }

        ActivityLoss = inputs.Length == 0 ? 0f : (float)(SumActivityPenalties() / inputs[0].Shape[0]);
        AddedLoss = (float)SumAddedLosses();
        _addsLoss = _addsLoss || AnyAddsLoss();
        for (int k = 0; k < _outputSlots.Length; k++)
        {
            _outputs[k] = _values[_outputSlots[k]]!;
            _outputMasks[k] = _masks[_outputSlots[k]];
        }

        return _outputs;
    }

    /// <summary>
    /// Back-propagates through the last <see cref="Forward(ReadOnlySpan{Tensor}, bool)"/>: accumulates every parameter's gradient. Output k receives
    /// <paramref name="outputGradients"/>[k] (null: no gradient), which is the gradient with respect to the logits of the
    /// output's final softmax when <paramref name="fromLogits"/>[k] is true (only where <see cref="CanFuse"/>).
    /// </summary>
    public void Backward(ReadOnlySpan<Tensor?> outputGradients, ReadOnlySpan<bool> fromLogits)
    {
        if (Active != this)
        {
            Active.Backward(outputGradients, fromLogits);
            return;
        }

        Array.Clear(_gradients);
        Array.Clear(_ownsGradient);
        foreach (Step step in _steps)
        {
            step.FromLogits = false;
            step.PooledGradient = null;
        }

        for (int k = 0; k < _outputSlots.Length; k++)
        {
            if (outputGradients[k] is Tensor gradient)
            {
                if (!fromLogits.IsEmpty && fromLogits[k])
                {
                    ProducerOf(_outputSlots[k])!.FromLogits = true;
                }

                Accumulate(_outputSlots[k], gradient);
            }
        }

        for (int i = _steps.Length - 1; i >= 0; i--)
        {
            Step step = _steps[i];
            Tensor? gradient = _gradients[step.OutputSlot];
            bool fromLogitsHere = step.FromLogits;
            step.FromLogits = false;
            if (!(step.HasParameters || step.NeedsInputGradient))
            {
                continue;
            }

            if (step.PooledBy is not null && step.RanPooled)
            {
                // At the convolution's own place, so that a shared convolution's calls add their gradients in the same order.
                if (step.PooledGradient is Tensor pooledGradient)
                {
                    var convolution = (Conv2D)step.Instance;
                    convolution.ComputesInputGradient = step.NeedsInputGradient;
                    step.PooledGradient = null;
                    if (convolution.BackwardMaxPooled(pooledGradient) is Tensor inputGradient && step.NeedsInputGradient && _requiresGradient[step.InputSlots[0]])
                    {
                        Accumulate(step.InputSlots[0], inputGradient);
                    }
                }

                continue;
            }

            Layer layer = step.Instance;
            int[] slots = step.InputSlots;
            if (step.OutputSlots.Length > 1)
            {
                bool any = false;
                for (int k = 0; k < step.OutputSlots.Length; k++)
                {
                    step.OutputGradients[k] = _gradients[step.OutputSlots[k]];
                    any |= step.OutputGradients[k] is not null;
                }

                // A layer that added a loss runs backward for the term's gradient even when no loss reads its outputs.
                if (any || AddsLoss(layer))
                {
                    layer.ComputesInputGradient = step.NeedsInputGradient;
                    layer.BackwardAsPlanned(step.OutputGradients, step.InputGradients);
                    AccumulateInputGradients(step);
                }

                continue;
            }

            if (gradient is null)
            {
                // No loss reads this output, but an activity regularizer on it, or a loss the layer added, still has a
                // gradient (Keras adds both to the loss).
                if ((layer.ActivityRegularizer is null && !AddsLoss(layer)) || _values[step.OutputSlot] is not Tensor output)
                {
                    continue;
                }

                gradient = ZerosLike(step, output);
            }

            if (step.PooledFrom is Step pooled && pooled.RanPooled)
            {
                pooled.PooledGradient = gradient;
                continue;
            }

            layer.ComputesInputGradient = step.NeedsInputGradient;
            if (slots.Length == 1)
            {
                // Null: a one-input MultiInputLayer gave its input no gradient.
                Tensor? inputGradient = fromLogitsHere ? layer.BackwardFromLogitsAsPlanned(gradient) : layer.BackwardOrNull(gradient);
                if (inputGradient is not null && step.NeedsInputGradient && _requiresGradient[slots[0]])
                {
                    Accumulate(slots[0], inputGradient);
                }

                continue;
            }

            layer.BackwardAsPlanned(gradient, step.InputGradients);
            AccumulateInputGradients(step);
        }

        CollectInputGradients();
    }

    private void AccumulateInputGradients(Step step)
    {
        int[] slots = step.InputSlots;
        for (int j = 0; j < slots.Length; j++)
        {
            if (step.InputGradients[j] is Tensor inputGradient && _requiresGradient[slots[j]])
            {
                Accumulate(slots[j], inputGradient);
            }
        }
    }

    /// <summary>
    /// Throws unless <paramref name="gradients"/> has one tensor per output shaped as the outputs of the last forward call,
    /// so that a bad custom-loop call fails before any gradient is touched.
    /// </summary>
    public void CheckOutputGradients(ReadOnlySpan<Tensor> gradients)
    {
        if (Active != this)
        {
            Active.CheckOutputGradients(gradients);
            return;
        }

        if (_passRows is (int rows, int passRows))
        {
            throw new InvalidOperationException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The last forward pass was an inference batch of {rows} rows run in passes of {passRows} (Evaluate or Predict of a batch larger than the training batch), which the layers do not keep for Backward; call Forward first."));
        }

        for (int k = 0; k < _outputs.Length; k++)
        {
            Tensor? output = _outputs[k];
            if (output is null)
            {
                throw new InvalidOperationException("Backward needs a forward pass first.");
            }

            if (gradients[k].Shape != output.Shape)
            {
                throw new ArgumentException($"The gradient of output '{Graph.Outputs[k].Layer.Name}' has shape {gradients[k].Shape} but the last forward pass gave {output.Shape}.", nameof(gradients));
            }
        }
    }

    /// <summary>Gives the instances of shared layers' later calls their layer's current name and seed.</summary>
    public void SyncInstances()
    {
        foreach (Step step in _steps)
        {
            Layer instance = step.Instance;
            if (!ReferenceEquals(instance, instance.Primary))
            {
                instance.Name = instance.Primary.Name;
                instance.Seed = instance.Primary.Seed;
            }
        }
    }

    // A convolution whose output only a max pooling reads runs together with that pooling (Conv2D.ForwardMaxPooled, when
    // Conv2D.CanFuseMaxPooling: a nine-tap first convolution, or an im2col + GEMM one), so that its output does not make a
    // round trip through memory between the two; the same results.
    private void FuseConvolutionsWithPooling(int[] consumers)
    {
        foreach (Step step in _steps)
        {
            if (step.Instance is not Conv2D convolution || step.InputSlots.Length != 1 || step.OutputSlots.Length != 1
                || consumers[step.OutputSlot] != 1 || Array.IndexOf(_outputSlots, step.OutputSlot) >= 0)
            {
                continue;
            }

            Step? pooling = Array.Find(_steps, s => s.InputSlots.Length == 1 && s.InputSlots[0] == step.OutputSlot);
            // A fused pair keeps neither output for an activity regularizer to read.
            if (pooling is { Instance: MaxPooling2D maxPooling, OutputSlots.Length: 1 } && convolution.CanFuseMaxPooling(maxPooling, step.NeedsInputGradient)
                && convolution.ActivityRegularizer is null && maxPooling.ActivityRegularizer is null)
            {
                step.PooledBy = pooling;
                pooling.PooledFrom = step;
            }
        }
    }

    private Step? ProducerOf(int slot)
    {
        foreach (Step step in _steps)
        {
            if (Array.IndexOf(step.OutputSlots, slot) >= 0)
            {
                return step;
            }
        }

        return null;
    }

    // The first gradient of a slot is kept by reference; a second one is summed with it into the slot's own buffer,
    // and later ones are added to that buffer. Nobody else's tensor is ever written.
    private void Accumulate(int slot, Tensor gradient)
    {
        Tensor? current = _gradients[slot];
        if (current is null)
        {
            _gradients[slot] = gradient;
            return;
        }

        if (!_ownsGradient[slot])
        {
            Tensor sum = BatchView(ref _sumBuffers[slot], gradient.Shape[0], _slotShapes[slot]);
            TensorPrimitives.Add(current.AsReadOnlySpan(), gradient.AsReadOnlySpan(), sum.AsSpan());
            _gradients[slot] = sum;
            _ownsGradient[slot] = true;
            return;
        }

        TensorPrimitives.Add(current.AsReadOnlySpan(), gradient.AsReadOnlySpan(), current.AsSpan());
    }

    // Rows [start, start + count) of input i as a view, kept while the same tensor comes back (Evaluate's loader reuses
    // its batch tensors), so that a warm pass allocates nothing.
    private Tensor PassView(Tensor source, int start, int count, int input)
    {
        _passViews ??= new List<Tensor>[_inputSlots.Length];
        _passViewSources ??= new Tensor?[_inputSlots.Length];
        List<Tensor> views = _passViews[input] ??= [];
        if (!ReferenceEquals(_passViewSources[input], source))
        {
            views.Clear();
            _passViewSources[input] = source;
        }

        foreach (Tensor view in views)
        {
            if (view.SharesRowsOf(source, start, count))
            {
                return view;
            }
        }

        Tensor slice = source.Slice(start, count);
        views.Add(slice);
        return slice;
    }

    // Copies a pass's rows into the whole batch's buffer (a BatchView of `rows` rows) at row `start`.
    private static void CopyRows(Tensor pass, ref Tensor? whole, int rows, int start)
    {
        TensorShape sample = pass.Shape.DropFirst();
        int stride = sample.ElementCount;
        pass.AsReadOnlySpan().CopyTo(BatchView(ref whole, rows, sample).AsSpan().Slice(start * stride, pass.Shape[0] * stride));
    }

    private static Tensor BatchView(ref Tensor? buffer, int batch, TensorShape sample)
    {
        if (buffer is null || buffer.Shape[0] < batch)
        {
            buffer = new Tensor(sample.Prepend(batch));
        }

        return buffer.FirstRows(batch);
    }

    private sealed class Step(Layer layer, Layer instance, int[] inputSlots, int[] outputSlots)
    {
        // The node's layer (whose parameters the instance shares).
        public Layer Layer { get; } = layer;

        public Layer Instance { get; } = instance;

        public int[] InputSlots { get; } = inputSlots;

        public int[] OutputSlots { get; } = outputSlots;

        public int OutputSlot => OutputSlots[0];

        public Tensor?[] OutputGradients { get; } = new Tensor?[outputSlots.Length];

        // Set by PlanBackward: whether the step computes its input gradient, and whether it has trainable parameters.
        public bool NeedsInputGradient { get; set; }

        public bool HasParameters { get; set; }

        public Tensor[] InputValues { get; } = new Tensor[inputSlots.Length];

        public Tensor?[] InputGradients { get; } = new Tensor?[inputSlots.Length];

        public Tensor?[] InputMasks { get; } = new Tensor?[inputSlots.Length];

        public bool FromLogits { get; set; }

        // The node's fixed mode (Keras' training argument of the call), or null to run in the pass's mode.
        public bool? Training { get; init; }

        // Whether a mask reaching the node stops at its layer (Layer.DestroysMasks), and whether that was reported.
        public bool WarnsOnMask { get; init; }

        public bool MaskReported { get; set; }

        // A zero output gradient for a layer with an activity regularizer whose output no loss reads (a field, for BatchView).
#pragma warning disable SA1401, CA1051 // A private nested class's buffer, passed by reference.
        public Tensor? ZeroGradientBuffer;
#pragma warning restore SA1401, CA1051

        // A convolution run by the max pooling step that reads its output (see FuseConvolutionsWithPooling), and whether
        // the last forward pass ran it so.
        public Step? PooledBy { get; set; }

        public bool RanPooled { get; set; }

        // The gradient of the pooled output, from the pooling step to the convolution's.
        public Tensor? PooledGradient { get; set; }

        // The pooling step's convolution.
        public Step? PooledFrom { get; set; }
    }
}
