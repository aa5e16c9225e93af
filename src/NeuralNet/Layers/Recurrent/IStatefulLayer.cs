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
