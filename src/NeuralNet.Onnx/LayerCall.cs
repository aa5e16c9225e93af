using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx;

/// <summary>
/// One call of a layer in a model's graph: the layer and the tensors it was called on, both by identity. The outputs of a
/// call with several (each a <see cref="SymbolicTensor"/> with its own <see cref="SymbolicTensor.OutputIndex"/>) share it.
/// </summary>
internal readonly struct LayerCall(Layer layer, IReadOnlyList<SymbolicTensor> inputs) : IEquatable<LayerCall>
{
    private readonly Layer _layer = layer;
    private readonly IReadOnlyList<SymbolicTensor> _inputs = inputs;

    public bool Equals(LayerCall other) =>
        ReferenceEquals(_layer, other._layer) && _inputs.Count == other._inputs.Count && _inputs.Zip(other._inputs).All(pair => ReferenceEquals(pair.First, pair.Second));

    public override bool Equals(object? obj) => obj is LayerCall other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(_layer, ReferenceEqualityComparer.Instance);
        foreach (SymbolicTensor input in _inputs)
        {
            hash.Add(input, ReferenceEqualityComparer.Instance);
        }

        return hash.ToHashCode();
    }
}
