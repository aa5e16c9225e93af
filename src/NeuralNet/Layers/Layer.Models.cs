using NeuralNet.Models;

namespace NeuralNet.Layers;

// The models a layer object is built into. A layer holds the activations of its last forward pass, so two models that
// share it (an encoder in an autoencoder and in a model of its own) must not both run it at once: their predictions run
// on copies of their layers instead (ModelGate), which share the weights but not the activations.
public abstract partial class Layer
{
    // The first model built on this layer, held weakly so that a model the user dropped does not count.
    private WeakReference<object>? _firstModel;
    private volatile bool _inSeveralModels;

    /// <summary>
    /// Whether a second model was built on this layer, or on a layer it runs inside itself (a wrapper's inner layer,
    /// which a user can call in another model), while the first was alive.
    /// </summary>
    internal bool IsInSeveralModels
    {
        get
        {
            if (_inSeveralModels)
            {
                return true;
            }

            // Checked at every prediction: an index loop over a list kept by the wrapper, which allocates nothing.
            IReadOnlyList<Layer> inner = InnerLayers;
            for (int i = 0; i < inner.Count; i++)
            {
                if (inner[i].IsInSeveralModels)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Records that the model <paramref name="model"/> (an object that lives as long as it) runs this layer and its inner layers.</summary>
    internal void RecordModel(object model)
    {
        foreach (Layer inner in InnerLayers)
        {
            inner.RecordModel(model);
        }

        while (true)
        {
            WeakReference<object>? first = Volatile.Read(ref _firstModel);
            if (first is not null && first.TryGetTarget(out object? owner))
            {
                if (!ReferenceEquals(owner, model))
                {
                    _inSeveralModels = true;
                }

                return;
            }

            if (Interlocked.CompareExchange(ref _firstModel, new WeakReference<object>(model), first) == first)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The layers this one runs inside itself, once built (a wrapper's, or the sublayers of <see cref="BuildSublayer{TLayer}(TLayer, TensorShape)"/>):
    /// their random streams are saved with the model's, and the models they are built into count as this layer's. A list
    /// the layer keeps, not a new one.
    /// </summary>
    internal virtual IReadOnlyList<Layer> InnerLayers => _sublayers;

    /// <summary>
    /// The wrapper (TimeDistributed, SpectralNormalization) this layer was given to or runs inside, for the changes a wrapper
    /// does not follow (LoRA adds parameters the wrapper never collects); null for a layer no wrapper holds.
    /// </summary>
    internal Layer? Wrapper { get; set; }

    /// <summary>
    /// The symbolic output of the layer's first call (Keras' <c>layer.output</c>), such as the call a model made when it
    /// was built: a model's inner features, from which a model of its own is made
    /// (<c>new Functional(model.Inputs, model.GetLayer("conv2d_1").Output)</c>). The weights are the same objects.
    /// A layer whose call gives several outputs (an LSTM with <c>returnState</c>, <c>Split</c>) has no single output: read
    /// <see cref="Outputs"/>, where Keras' <c>layer.output</c> gives the list.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer has not been called on symbolic tensors yet (a
    /// <see cref="Sequential"/> without an <see cref="InputLayer"/> calls its layers when it is built), or it is an
    /// <see cref="InputLayer"/> not made into an <see cref="Models.Input"/>; or its call gives several outputs.</exception>
    public SymbolicTensor Output
    {
        get
        {
            Node node = FirstNode("output");
            return node.Outputs.Length == 1 ? node.Output
                : throw new InvalidOperationException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Describe()} gives {node.Outputs.Length} outputs per call ({string.Join(", ", node.Outputs.Select(t => t.BatchString))}); read Outputs, Outputs[0] for the first."));
        }
    }

    /// <summary>
    /// Every symbolic output of the layer's first call, in the order the call returns them (Keras' <c>layer.output</c> of
    /// a layer with several outputs): <c>[sequences, h, c]</c> for an LSTM with <c>returnSequences</c> and
    /// <c>returnState</c>, one piece per output for <c>Split</c>; one tensor for any other layer.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer has not been called on symbolic tensors yet.</exception>
    public IReadOnlyList<SymbolicTensor> Outputs => FirstNode("outputs").Outputs;

    /// <summary>
    /// The symbolic tensors the layer's first call took (Keras' <c>layer.input</c>), in the order given: one for most
    /// layers, several for a merge layer such as <c>Concatenate</c>, none for an <see cref="InputLayer"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer has not been called on symbolic tensors yet.</exception>
    public IReadOnlyList<SymbolicTensor> Inputs => FirstNode("inputs").Inputs;

    private Node FirstNode(string what) => _nodes.Count > 0 ? _nodes[0]
        : throw new InvalidOperationException($"{Describe()} has not been called on a symbolic tensor yet, so it has no {what} to read; build its model first (a Sequential without an InputLayer is built by its first Fit, Predict or Build).");
}
