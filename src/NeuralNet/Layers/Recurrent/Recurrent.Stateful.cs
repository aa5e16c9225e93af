using System.Globalization;

namespace NeuralNet.Layers;

// Keras' stateful=True (keras/src/layers/rnn/rnn.py: RNN.build creates the state variables for a fixed batch size,
// RNN.call starts from them when no initial state is given and assigns the final states back, reset_state zeroes them):
// the final states of one call are the initial states of the next, sample i continuing sample i. They enter the next
// pass as constants, so no gradient flows from one call into the one before (truncated back-propagation through time).
public abstract partial class Recurrent
{
    // The states carried from the last call to the next, (batch, units) each, exactly the carried batch in size. The
    // hidden state, then an LSTM's cell state. Allocated by the first call (and again only for another batch size after
    // ResetStates), so a stateful training step allocates nothing after the first batch.
    private Tensor? _carriedHidden;
    private Tensor? _carriedCell;

    // This pass' initial states: copies of the carried states taken when the pass starts, kept for its backward pass
    // while the carried states already hold the pass' final states.
    private Tensor? _passHidden;
    private Tensor? _passCell;

    // Whether the carried states hold a call's final states (the batch size is fixed): false until the first call and
    // after ResetStates.
    private bool _carrying;

    /// <summary>
    /// Keras' <c>stateful</c>: the final states of each call are the initial states of the next call, sample i of a batch
    /// continuing sample i of the batch before, until <see cref="ResetStates"/>. Every call counts: <c>Fit</c>,
    /// <c>Evaluate</c> and <c>Predict</c> batches alike, in the order they run. No gradient flows from one call back
    /// into the previous one (truncated back-propagation through time, as in Keras). Initial states given as inputs
    /// replace the carried states for that call, and its final states are carried on, as Keras does; masked steps carry
    /// the states as in a single call.
    /// </summary>
    /// <remarks>
    /// The batch size is fixed by the first call (Keras fixes it when the layer is built, from the input's
    /// <c>batch_shape</c>) and a call with another batch size throws, the last smaller batch of an epoch included: pass
    /// <c>shuffle: false</c> and a batch size that divides the number of samples, as Keras users do.
    /// <see cref="ResetStates"/> zeroes the states and frees the batch size, so a model trained on batches of 32 can then
    /// predict one sample at a time. A stateful layer runs on one instance: it cannot be called twice in one model (a
    /// shared layer), and a model with a stateful layer runs its predictions one at a time, on its own layers, since each
    /// prediction continues the states the previous one left. Set before the layer is built; <c>false</c> by default.
    /// </remarks>
    public bool Stateful { get; init; }

    /// <summary>
    /// Keras' <c>reset_state</c> (and its alias <c>reset_states</c>): sets the states a <see cref="Stateful"/> layer
    /// carries to zeros and frees its batch size; the next call starts from zeros and fixes the batch size again.
    /// Nothing happens for a layer that is not stateful, as in Keras. <c>Model.ResetStates()</c> resets every stateful
    /// layer of a model.
    /// </summary>
    public void ResetStates() => _carrying = false;

    /// <summary>The states this stateful layer carries into its next call, (batch, units) each (h, then an LSTM's c); empty before the first call and after a reset (for tests).</summary>
    internal Tensor[] CarriedStates => !_carrying ? [] : StateCount > 1 ? [_carriedHidden!, _carriedCell!] : [_carriedHidden!];

    /// <summary>Whether <paramref name="layers"/> (with the layers wrappers hold) include a stateful recurrent layer.</summary>
    internal static bool AnyStateful(IReadOnlyList<Layer> layers)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is Recurrent { Stateful: true } || AnyStateful(layers[i].InnerLayers))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Copies an LSTM's cell state after the last step, (batch, units), into <paramref name="destination"/>.</summary>
    private protected virtual void CopyFinalCellState(int batch, int steps, Span<float> destination)
    {
    }

    // A stateful layer's states live in the layer itself: a copy of it (a later call of a shared layer, or a
    // prediction beside another) would carry states of its own and silently give other results than Keras.
    private void RefuseStatefulCopy()
    {
        if (Stateful && !ReferenceEquals(Primary, this))
        {
            throw new InvalidOperationException(
                $"{Describe()} is stateful: it carries its states from one call to the next, so it runs on one instance and cannot be called more than once in a model (a shared layer). Call it once, or use a layer that is not stateful.");
        }
    }

    // Checks the batch size against the carried states (before anything changes) and copies them into this pass'
    // initial states; the first call after construction or ResetStates starts from zeros and fixes the batch size.
    private void StartStatefulPass(int batch)
    {
        if (_carrying && _carriedHidden!.Shape[0] != batch)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} is stateful and carries the states of {_carriedHidden.Shape[0]} samples, but was called on a batch of {batch}. A stateful layer needs the same batch size in every call (Keras requires a fixed batch size): use a batch size that divides the number of samples (the last batch of an epoch must not be smaller), or call ResetStates() before changing it."));
        }

        if (!_carrying)
        {
            ZeroCarried(ref _carriedHidden, batch);
            if (StateCount > 1)
            {
                ZeroCarried(ref _carriedCell, batch);
            }

            _carrying = true;
        }

        CopyCarried(_carriedHidden!, ref _passHidden);
        if (StateCount > 1)
        {
            CopyCarried(_carriedCell!, ref _passCell);
        }
    }

    // The states after the last step (masked steps carried) become the carried states.
    private void KeepFinalStates(int batch)
    {
        int steps = _sequenceShape[0];
        CopyLastStep(States, _carriedHidden!.AsSpan(), batch, steps);
        if (StateCount > 1)
        {
            CopyFinalCellState(batch, steps, _carriedCell!.AsSpan());
        }
    }

    private void ZeroCarried(ref Tensor? carried, int batch)
    {
        if (carried is null || carried.Shape[0] != batch)
        {
            carried = new Tensor(UnitsShape.Prepend(batch));
        }

        carried.AsSpan().Clear();
    }

    private static void CopyCarried(Tensor carried, ref Tensor? pass)
    {
        if (pass is null || pass.Shape[0] != carried.Shape[0])
        {
            pass = new Tensor(carried.Shape);
        }

        carried.AsReadOnlySpan().CopyTo(pass.AsSpan());
    }
}
