using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// One call of a layer on symbolic tensors (Keras' node): the layer, which of its calls this is, the tensors it took
/// and the tensors it produced (one for most layers; a recurrent layer with <c>returnState</c> also gives its states). An <see cref="InputLayer"/>'s node takes nothing. Models are graphs of nodes.
/// </summary>
internal sealed class Node(Layer layer, int index, SymbolicTensor[] inputs)
{
    /// <summary>The layer called.</summary>
    public Layer Layer { get; } = layer;

    /// <summary>The position of this call among all calls of <see cref="Layer"/>, from 0.</summary>
    public int Index { get; } = index;

    /// <summary>The symbolic inputs, in call order (empty for an input node).</summary>
    public SymbolicTensor[] Inputs { get; } = inputs;

    /// <summary>The first symbolic output (what <see cref="Layer.Call(SymbolicTensor)"/> returns).</summary>
    public SymbolicTensor Output => Outputs[0];

    /// <summary>Every symbolic output, in the layer's output order; set by the outputs' constructors.</summary>
    public SymbolicTensor[] Outputs { get; set; } = [];

    /// <summary>
    /// The model whose call on symbolic tensors made this call of the layer (<see cref="Model.CallOutputs(ReadOnlySpan{SymbolicTensor})"/>), or null for
    /// a direct call. A larger model renames a layer it reaches only through such calls when the name is taken.
    /// </summary>
    public Model? CalledThrough { get; set; }

    /// <summary>
    /// The mode this call runs in whatever the model runs in (Keras' <c>training</c> argument of the call), or null to
    /// follow the model (training in <c>Fit</c>, inference in <c>Predict</c> and <c>Evaluate</c>).
    /// </summary>
    public bool? Training { get; set; }

    /// <summary>
    /// Whether this is a reverse call of a <see cref="ReversibleEmbedding"/> (Keras' <c>reverse=True</c>): hidden states
    /// projected back to logits, run on a copy of the layer built for them.
    /// </summary>
    public bool Reverse { get; set; }

    /// <summary>Makes the same kind of call of <see cref="Layer"/> on other tensors (a model called on new tensors repeats its calls).</summary>
    public SymbolicTensor[] CallAgain(ReadOnlySpan<SymbolicTensor> inputs) =>
        Reverse ? [((ReversibleEmbedding)Layer).CallReverse(inputs[0])] : Layer.CallOutputs(inputs);

    /// <summary>Whether this node is a model input (an <see cref="InputLayer"/>'s).</summary>
    public bool IsInput => Inputs.Length == 0;
}
