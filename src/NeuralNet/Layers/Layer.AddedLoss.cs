namespace NeuralNet.Layers;

// Keras' Layer.add_loss: a layer adds a scalar to the model's loss while it computes its output (a VAE's KL divergence).
// NeuralNet has no automatic differentiation, so the term's gradient is the layer's own: its OnBackward adds it to the
// input and parameter gradients it computes, as it does for its output. The values are cleared at the start of every
// forward pass of the layer (Keras clears a layer's losses at each call), so they always belong to the last batch.
public abstract partial class Layer
{
    private bool _inForward;

    /// <summary>
    /// The sum of the values this layer itself passed to <see cref="AddLoss"/> during its last forward pass; 0 when it
    /// added none. Unlike Keras' <c>layer.losses</c> it leaves out the layers inside it and activity regularizers (see
    /// <see cref="Models.Model.ActivityLoss"/>), and a layer called several times in a model holds its first call's term
    /// only (each later call runs on an instance of its own). A model adds every instance's, inner layers' included, to
    /// the loss of <c>Fit</c>, <c>Evaluate</c>, <c>TrainOnBatch</c>, <c>TestOnBatch</c> and <c>ComputeGradients</c>
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
    /// <c>OnBuild</c>, <c>OnBackward</c> or any other time), or by a layer inside a <see cref="TimeDistributed"/>.</exception>
    protected void AddLoss(float value)
    {
        if (!_inForward)
        {
            throw new InvalidOperationException($"{Describe()} called AddLoss outside its forward pass; a layer adds a loss from OnForward, for the batch it is computing (Keras' add_loss inside call), and adds the term's gradient in OnBackward.");
        }

        RefuseInsideTimeDistributed();
        AddedLoss += value;
        AddsLoss = true;
    }

    // Keras 3's TimeDistributed calls the inner layer once per step on (B, ...) slices, so add_loss runs T times; here the
    // inner layer runs once on (B*T, ...) rows, and no rule turns one term into Keras' T (a mean over the rows would be
    // 1/T of Keras' sum, ops.sum(x) the same): refused rather than silently of another scale.
    private void RefuseInsideTimeDistributed()
    {
        for (Layer? wrapper = Wrapper; wrapper is not null; wrapper = wrapper.Wrapper)
        {
            if (wrapper is TimeDistributed timeDistributed)
            {
                throw new InvalidOperationException($"{Describe()} called AddLoss inside {timeDistributed.Describe()}, which runs it once on the batch's rows of every time step together (Keras calls it once per time step, adding the term once per step), so the term would not be Keras'; add the loss from a layer outside the TimeDistributed wrapper.");
            }
        }
    }

    /// <summary>
    /// What the layer's last forward pass adds to a model's loss: its <see cref="AddedLoss"/> and, for a wrapper, its inner
    /// layers' (which run their own forward passes inside its).
    /// </summary>
    internal double AddedLossWithInnerLayers()
    {
        double sum = AddedLoss;
        IReadOnlyList<Layer> inner = InnerLayers;
        for (int i = 0; i < inner.Count; i++)
        {
            sum += inner[i].AddedLossWithInnerLayers();
        }

        return sum;
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
