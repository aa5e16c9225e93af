using System.Globalization;

namespace NeuralNet.Layers;

// Keras' stateful=True (keras/src/layers/rnn/rnn.py: RNN.build creates the state variables for a fixed batch size,
// RNN.call starts from them when no initial state is given and assigns the final states back, reset_state zeroes them):
// the final states of one call are the initial states of the next, sample i continuing sample i. They enter the next
// pass as constants, so no gradient flows from one call into the one before (truncated back-propagation through time).
// One instance per stateful layer, shared by Recurrent (SimpleRnn, Lstm, Gru) and Rnn over a cell.
internal sealed class StateCarrier
{
    // (batch, size) per state, exactly the carried batch in size. Allocated by the first call (and again only for
    // another batch size after Reset), so a stateful training step allocates nothing after the first batch.
    private Tensor[] _states = [];

    /// <summary>Whether the states hold a call's final states (the batch size is fixed): false until the first call and after <see cref="Reset"/>.</summary>
    public bool Carrying { get; private set; }

    /// <summary>The carried states, one per state of the layer; empty unless <see cref="Carrying"/>.</summary>
    public Tensor[] States => Carrying ? _states : [];

    /// <summary>Zeroes the states (lazily: the next <see cref="Start"/> does) and frees the batch size.</summary>
    public void Reset() => Carrying = false;

    /// <summary>
    /// Checks <paramref name="batch"/> against the carried states, before anything changes, and after construction or a
    /// reset zeroes states of <paramref name="shapes"/> (per sample) for it, fixing the batch size.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch size differs from the carried one; <paramref name="layer"/> and both sizes are named.</exception>
    public void Start(int batch, IReadOnlyList<TensorShape> shapes, Layer layer)
    {
        if (Carrying && _states[0].Shape[0] != batch)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{layer.Description} is stateful and carries the states of {_states[0].Shape[0]} samples, but was called on a batch of {batch}. A stateful layer needs the same batch size in every call (Keras requires a fixed batch size): use a batch size that divides the number of samples (the last batch of an epoch must not be smaller), or call ResetStates() before changing it."));
        }

        if (Carrying)
        {
            return;
        }

        if (_states.Length != shapes.Count)
        {
            _states = new Tensor[shapes.Count];
        }

        for (int i = 0; i < _states.Length; i++)
        {
            if (_states[i] is null || _states[i].Shape[0] != batch)
            {
                _states[i] = new Tensor(shapes[i].Prepend(batch));
            }

            _states[i].AsSpan().Clear();
        }

        Carrying = true;
    }

    /// <summary>
    /// Refuses a copy of a stateful layer (a later call of a shared layer): its states live in the layer itself, so a copy
    /// would carry states of its own and silently give other results than Keras. A copy for another length of a variable
    /// axis (<see cref="Layer.IsLengthVariant"/>) is let through: it is cloned from the layer, so it holds the layer's own
    /// carrier and continues its states.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="layer"/> is stateful and not its own primary instance.</exception>
    public static void RefuseCopy(Layer layer, bool stateful)
    {
        if (stateful && !ReferenceEquals(layer.Primary, layer) && !layer.IsLengthVariant)
        {
            throw new InvalidOperationException(
                $"{layer.Description} is stateful: it carries its states from one call to the next, so it runs on one instance and cannot be called more than once in a model (a shared layer). Call it once, or use a layer that is not stateful.");
        }
    }
}
