namespace NeuralNet.Layers;

/// <summary>A layer that can carry states from one call to the next (Keras' <c>stateful</c>): the recurrent layers, <see cref="Rnn"/> and <see cref="Bidirectional"/>.</summary>
internal interface IStatefulLayer
{
    /// <summary>Whether the layer carries its states from one call to the next.</summary>
    bool Stateful { get; }

    /// <summary>Zeroes the carried states and frees the batch size (Keras' <c>reset_state</c>).</summary>
    void ResetStates();

    /// <summary>The states the next call starts from, (batch, size) each (a <see cref="Bidirectional"/>'s: the forward layer's, then the backward layer's); empty unless carrying.</summary>
    Tensor[] CarriedStates { get; }

    /// <summary>
    /// Whether the layer carries its states across calls of any number of time steps (Keras' <c>stateful=True</c> with
    /// <c>batch_shape=(B, None, features)</c>): its states are (batch, size) whatever the step count, and the copies a model
    /// runs other lengths on share the layer's own <see cref="StateCarrier"/>. False for <see cref="Bidirectional"/>,
    /// whose copies would build directions with states of their own.
    /// </summary>
    bool CarriesAnyStepCount => false;

    /// <summary>
    /// The first stateful layer of <paramref name="layers"/> (with the layers wrappers hold) that needs inputs of fixed
    /// lengths in a model with variable input axes: one that cannot carry its states across step counts, or any stateful
    /// layer held inside a wrapper (whose copies for other lengths would build copies of it with states of their own); null
    /// when there is none. A nested model's layers are the graph's own layers, found directly.
    /// </summary>
    static Layer? FirstNeedingFixedLengths(IReadOnlyList<Layer> layers, bool inner = false)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is IStatefulLayer { Stateful: true } stateful && (inner || !stateful.CarriesAnyStepCount))
            {
                return layers[i];
            }

            if (FirstNeedingFixedLengths(layers[i].InnerLayers, inner: true) is Layer found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="layers"/> (with the layers wrappers hold) include a stateful layer.</summary>
    static bool AnyStateful(IReadOnlyList<Layer> layers)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is IStatefulLayer { Stateful: true } || AnyStateful(layers[i].InnerLayers))
            {
                return true;
            }
        }

        return false;
    }
}
