using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// The warnings of one graph (<see cref="Model.Warnings"/>): added when the model builds the graph and by forward passes
/// that reveal more, from any executor of the graph (its variants and the copies concurrent predictions run on), so it
/// is locked; each layer is reported at most once per kind, and each warning is written at most once to a verbose
/// output (<see cref="WriteNew"/>).
/// </summary>
internal sealed class ModelWarningLog
{
    private readonly object _lock = new();
    private readonly List<ModelWarning> _warnings = [];
    private readonly HashSet<Layer> _maskDroppers = new(ReferenceEqualityComparer.Instance);
    private int _written;

    /// <summary>A copy of the warnings so far, in the order they were found.</summary>
    public ModelWarning[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _warnings];
        }
    }

    /// <summary>
    /// Records that <paramref name="layer"/> (a node's own layer, named by the model) receives a mask it does not
    /// support and destroys it, once per layer; Keras' warning text.
    /// </summary>
    public void MaskDropped(Layer layer)
    {
        lock (_lock)
        {
            if (_maskDroppers.Add(layer))
            {
                _warnings.Add(new ModelWarning(ModelWarningKind.MaskDropped, layer.Name, layer.TypeName,
                    $"Layer '{layer.Name}' (of type {layer.TypeName}) was passed an input with a mask attached to it. However, this layer does not support masking and will therefore destroy the mask information. Downstream layers will not see the mask."));
            }
        }
    }

    /// <summary>Writes the warnings not written yet, one line each, as Keras' <c>UserWarning</c>s reach a console.</summary>
    public void WriteNew(TextWriter writer)
    {
        lock (_lock)
        {
            for (; _written < _warnings.Count; _written++)
            {
                writer.Write("UserWarning: ");
                writer.Write(_warnings[_written].Message);
                writer.Write('\n');
            }
        }
    }
}
