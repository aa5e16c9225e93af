using System.Globalization;

namespace NeuralNet.Models;

// Graphs with variable axes (VariableShapes): the graph's own layers are built for the nominal lengths, and a batch of
// other lengths runs on a variant, an executor over copies of the layers built for its shapes that share the layers'
// parameters (the mechanism of a shared layer's later calls), so its gradients add up in the same tensors. The calls that
// read a pass's results (Backward, OutputMasks, ActivityLoss, AddedLoss) go to the executor that ran the last forward
// pass.
internal sealed partial class GraphExecutor
{
    /// <summary>The most variants kept: a stream of ever new lengths keeps the buffers of the latest ones only.</summary>
    public const int MaxVariants = 8;

    // Whether the graph has variable input axes (never in a variant itself).
    private readonly bool _variable;

    // The variants, the most recently used first.
    private List<(TensorShape[] Shapes, GraphExecutor Executor)>? _variants;

    private GraphExecutor? _active;

    /// <summary>Whether the graph has inputs with variable axes, whose batches of other lengths run on variants.</summary>
    public bool HasVariableInputs => _variable;

    // The executor whose pass the results belong to.
    private GraphExecutor Active => _active ?? this;

    /// <summary>
    /// The executor that runs a batch of <paramref name="inputs"/>: this one for the graph's own shapes, else the variant
    /// for theirs, made on the first batch of those shapes (which allocates its layers' buffers as a first batch does).
    /// </summary>
    /// <exception cref="ArgumentException">An input differs from the graph's on a fixed axis.</exception>
    private GraphExecutor RunnerFor(ReadOnlySpan<Tensor> inputs)
    {
        GraphExecutor runner = FindRunner(inputs);

        // A variant's own forward passes (RunInPasses) plan what the model asks for, as this executor's do.
        runner._inputGradientsWanted = _inputGradientsWanted;
        return runner;
    }

    private GraphExecutor FindRunner(ReadOnlySpan<Tensor> inputs)
    {
        if (!_variable || SamplesMatch(inputs, _inputSlots, _slotShapes))
        {
            _active = null;
            return this;
        }

        _variants ??= [];
        for (int v = 0; v < _variants.Count; v++)
        {
            (TensorShape[] shapes, GraphExecutor executor) = _variants[v];
            if (SamplesMatch(inputs, shapes))
            {
                for (int j = v; j > 0; j--)
                {
                    _variants[j] = _variants[j - 1];
                }

                _variants[0] = (shapes, executor);
                _active = executor;
                return executor;
            }
        }

        var sampleShapes = new TensorShape[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            SymbolicTensor declared = Graph.Inputs[i];
            if (inputs[i].Rank != declared.Shape.Rank + 1 || !VariableShapes.Fits(inputs[i].Shape.Dimensions[1..], declared.Shape, declared.ProbeShape))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Input {i} ('{declared.Layer.Name}') is {inputs[i].Shape}, which does not fit {declared.BatchString}: every axis but the batch and the variable ones must keep its length."),
                    nameof(inputs));
            }

            sampleShapes[i] = inputs[i].Shape.DropFirst();
        }

        var variant = new GraphExecutor(Graph, _inferenceCopy, _fuse, sampleShapes, [.. _steps.Select(s => s.Instance)]);
        _variants.Insert(0, (sampleShapes, variant));
        if (_variants.Count > MaxVariants)
        {
            _variants.RemoveAt(_variants.Count - 1);
        }

        _active = variant;
        return variant;
    }

    /// <summary>
    /// The per-sample shapes of the outputs for a batch of <paramref name="inputs"/>: those of the executor that runs it,
    /// made now if it is a new length (the array is the executor's own: not to be changed). Allocates nothing for lengths met before.
    /// </summary>
    /// <exception cref="ArgumentException">An input differs from the graph's on a fixed axis, or a layer cannot take the lengths.</exception>
    public TensorShape[] OutputShapesFor(ReadOnlySpan<Tensor> inputs)
    {
        GraphExecutor? active = _active;
        GraphExecutor runner = RunnerFor(inputs);
        _active = active;
        return runner._outputShapes ??= runner.OutputSlotShapes();
    }

    // Apart from OutputShapesFor: a lambda there would capture the runner and allocate on every call.
    private TensorShape[] OutputSlotShapes() => [.. _outputSlots.Select(slot => _slotShapes[slot])];

    // The per-sample shapes of the outputs, made on first use.
    private TensorShape[]? _outputShapes;

    private static bool SamplesMatch(ReadOnlySpan<Tensor> inputs, int[] slots, TensorShape[] slotShapes)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].Shape.Dimensions[1..].SequenceEqual(slotShapes[slots[i]].Dimensions))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SamplesMatch(ReadOnlySpan<Tensor> inputs, TensorShape[] shapes)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].Shape.Dimensions[1..].SequenceEqual(shapes[i].Dimensions))
            {
                return false;
            }
        }

        return true;
    }
}
