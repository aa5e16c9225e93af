using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx;

/// <summary>
/// A layer and the tensors it was called on, both by identity: the outputs of a call with several (each a
/// <see cref="SymbolicTensor"/> with its own <see cref="SymbolicTensor.OutputIndex"/>) share it. Two calls of one layer
/// on the same tensors share it too, and are written once: at inference they compute the same values (the export
/// refuses training-mode calls and stateful layers, and random layers draw only in training), and the core's graph
/// node, which would tell the calls apart, is internal to it. A <see cref="ReversibleEmbedding"/>'s lookup and reverse
/// call on one tensor differ, and are told apart by <paramref name="kind"/> (the output's rank: one more than the input's
/// for a lookup, the same for a reverse call).
/// </summary>
internal readonly struct LayerCall(Layer layer, IReadOnlyList<SymbolicTensor> inputs, int kind = 0) : IEquatable<LayerCall>
{
    private readonly Layer _layer = layer;
    private readonly IReadOnlyList<SymbolicTensor> _inputs = inputs;
    private readonly int _kind = kind;

    public bool Equals(LayerCall other) =>
        ReferenceEquals(_layer, other._layer) && _kind == other._kind && _inputs.Count == other._inputs.Count && _inputs.Zip(other._inputs).All(pair => ReferenceEquals(pair.First, pair.Second));

    public override bool Equals(object? obj) => obj is LayerCall other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(_layer, ReferenceEqualityComparer.Instance);
        hash.Add(_kind);
        foreach (SymbolicTensor input in _inputs)
        {
            hash.Add(input, ReferenceEqualityComparer.Instance);
        }

        return hash.ToHashCode();
    }
}
