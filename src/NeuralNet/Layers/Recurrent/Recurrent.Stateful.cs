namespace NeuralNet.Layers;

// Keras' stateful=True, on the mechanism all stateful layers share (StateCarrier).
public abstract partial class Recurrent : IRecurrentLayer
{
    // The states carried from the last call to the next: the hidden state, then an LSTM's cell state. The copies a model
    // runs other step counts on are cloned from this layer, so they hold this same carrier: a call of 4 steps and the next
    // of 6 continue one another's states.
    private readonly StateCarrier _carried = new();
    private TensorShape[]? _carriedShapes;

    // This pass' initial states: copies of the carried states taken when the pass starts, kept for its backward pass
    // while the carried states already hold the pass' final states.
    private Tensor? _passHidden;
    private Tensor? _passCell;

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
    public void ResetStates() => _carried.Reset();

    /// <summary>The states this stateful layer carries into its next call, (batch, units) each (h, then an LSTM's c); empty before the first call and after a reset (for tests).</summary>
    internal Tensor[] CarriedStates => _carried.States;

    Tensor[] IStatefulLayer.CarriedStates => CarriedStates;

    // The states are (batch, units) whatever the step count.
    bool IStatefulLayer.CarriesAnyStepCount => true;

    /// <summary>Copies an LSTM's cell state after the last step, (batch, units), into <paramref name="destination"/>.</summary>
    private protected virtual void CopyFinalCellState(int batch, int steps, Span<float> destination)
    {
    }

    private void RefuseStatefulCopy() => StateCarrier.RefuseCopy(this, Stateful);

    // Checks the batch size against the carried states (before anything changes) and copies them into this pass'
    // initial states; the first call after construction or ResetStates starts from zeros and fixes the batch size.
    private void StartStatefulPass(int batch)
    {
        _carried.Start(batch, _carriedShapes ??= [.. Enumerable.Repeat(UnitsShape, StateCount)], this);
        CopyCarried(_carried.States[0], ref _passHidden);
        if (StateCount > 1)
        {
            CopyCarried(_carried.States[1], ref _passCell);
        }
    }

    // The states after the last step (masked steps carried) become the carried states.
    private void KeepFinalStates(int batch)
    {
        int steps = _sequenceShape[0];
        CopyLastStep(States, _carried.States[0].AsSpan(), batch, steps);
        if (StateCount > 1)
        {
            CopyFinalCellState(batch, steps, _carried.States[1].AsSpan());
        }
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
