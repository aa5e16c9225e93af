using NeuralNet.Layers;

namespace NeuralNet.Models;

// Keras' model.reset_states(): the states stateful recurrent layers carry from one batch to the next.
public abstract partial class Model
{
    /// <summary>
    /// Resets the states every stateful recurrent layer of the model carries (Keras' <c>reset_states</c>): zeros, and the
    /// batch size free again (see <see cref="Recurrent.Stateful"/>), including layers wrapped by <see cref="Bidirectional"/>.
    /// Call it between independent sequences, for example at the start of each epoch from a callback. Layers that are not
    /// stateful are unchanged.
    /// </summary>
    public void ResetStates()
    {
        using (_gate.EnterExclusive())
        {
            ResetStates(Layers);
        }
    }

    private static void ResetStates(IReadOnlyList<Layer> layers)
    {
        foreach (Layer layer in layers)
        {
            if (layer is IStatefulLayer stateful)
            {
                stateful.ResetStates();
            }

            ResetStates(layer.InnerLayers);
        }
    }
}
