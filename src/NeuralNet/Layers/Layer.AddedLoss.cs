namespace NeuralNet.Layers;

// Keras' Layer.add_loss: a layer adds a scalar to the model's loss while it computes its output (a VAE's KL divergence).
// NeuralNet has no automatic differentiation, so the term's gradient is the layer's own: its OnBackward adds it to the
// input and parameter gradients it computes, as it does for its output. The values are cleared at the start of every
// forward pass of the layer (Keras clears a layer's losses at each call), so they always belong to the last batch.
public abstract partial class Layer
{
    private bool _inForward;

    /// <summary>
    /// The sum of the values the layer passed to <see cref="AddLoss"/> during its last forward pass (Keras'
    /// <c>sum(layer.losses)</c> without weight penalties); 0 when it added none. A model adds it, with every other layer's,
    /// to the loss of <c>Fit</c>, <c>Evaluate</c>, <c>TrainOnBatch</c>, <c>TestOnBatch</c> and <c>ComputeGradients</c>
    /// (<see cref="Models.Model.AddedLoss"/>).
    /// </summary>
    public float AddedLoss { get; private set; }

    /// <summary>
    /// Whether the last forward pass called <see cref="AddLoss"/>: the model then runs the layer backward even when no
    /// compiled loss reads its output (with a zero output gradient), so that the term's gradient reaches the parameters.
    /// </summary>
    internal bool AddsLoss { get; private set; }

    /// <summary>
    /// Adds <paramref name="value"/> to the model's loss for the batch being computed (Keras' <c>add_loss</c> inside
    /// <c>call</c>). Call it from <c>OnForward</c>, in training and in inference (Keras' <c>evaluate</c> reports the added
    /// losses too; <c>Predict</c> ignores them); several calls in one pass add up. The value is added as given: a term
    /// meant as a mean over the batch is divided by the batch size by the layer, as Keras' tutorials write it.
    /// </summary>
    /// <remarks>
    /// There is no automatic differentiation: the gradient of the term with respect to the layer's inputs and parameters is
    /// the layer's to add in its own <c>OnBackward</c> (into the input gradients it returns and into
    /// <see cref="Parameter.Gradient"/>), beside the gradient coming from its output. The model runs that backward pass even
    /// when no compiled loss reads the layer's output. A non-finite value is not refused: like a diverging compiled loss,
    /// it makes the reported loss non-finite, which <see cref="Training.TerminateOnNaN"/> watches for.
    /// </remarks>
    /// <param name="value">The scalar term, in the units of the loss.</param>
    /// <exception cref="InvalidOperationException">Called outside the layer's forward pass (from a constructor,
    /// <c>OnBuild</c>, <c>OnBackward</c> or any other time).</exception>
    protected void AddLoss(float value)
    {
        if (!_inForward)
        {
            throw new InvalidOperationException($"{Describe()} called AddLoss outside its forward pass; a layer adds a loss from OnForward, for the batch it is computing (Keras' add_loss inside call), and adds the term's gradient in OnBackward.");
        }

        AddedLoss += value;
        AddsLoss = true;
    }

    // The forward pass's frame: the values of the last pass are dropped, AddLoss is allowed until EndForwardLosses.
    private void BeginForwardLosses()
    {
        AddedLoss = 0f;
        AddsLoss = false;
        _inForward = true;
    }

    private void EndForwardLosses() => _inForward = false;
}
