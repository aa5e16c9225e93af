using System.Globalization;

namespace NeuralNet.Layers;

// Keras' layer.get_weights() / set_weights(): the values of one layer's parameters, copied out and in.
public abstract partial class Layer
{
    /// <summary>
    /// Copies of the values of the layer's parameters in Keras' order (Keras' <c>layer.get_weights()</c>, the values of
    /// <c>layer.weights</c>): the layer's own weights, trainable ones first (<see cref="Dense"/>: kernel, bias;
    /// <see cref="BatchNormalization"/>: gamma, beta, moving_mean, moving_variance), then each wrapped layer's or
    /// sublayer's, in the same order, one after the other (<see cref="Bidirectional"/>: the forward layer's, then the
    /// backward layer's; <see cref="TimeDistributed"/>: the wrapped layer's). A weight Keras' layer tracks as its own
    /// comes with its own even when a wrapped layer holds it: <see cref="SpectralNormalization"/> gives the wrapped
    /// layer's kernel, its <c>vector_u</c>, then the wrapped layer's other weights (Keras' <c>self.kernel =
    /// self.layer.kernel</c> in <c>build</c>). This differs from <see cref="Parameters"/> only for such a wrapper and for a
    /// layer with sublayers or with a non-trainable weight created before a trainable one. Empty until the layer is
    /// built, as in Keras. A model's <c>GetWeights</c> is its layers' lists one after the other.
    /// </summary>
    /// <remarks>
    /// Keras lists sublayers in the order its layer sets them as attributes (<c>self.dense_1 = Dense(...)</c>, in
    /// <c>__init__</c> or <c>build</c>); here the sublayers of <see cref="BuildSublayer{TLayer}(TLayer, TensorShape)"/> come in
    /// the order they were created (a field initializer or the constructor before <see cref="OnBuild"/>), which is that
    /// order when each is assigned where it is made, whatever order <see cref="OnBuild"/> builds them in. The built-in
    /// wrappers list theirs in the order their Keras classes set them (<see cref="Bidirectional"/>: <c>forward_layer</c>,
    /// <c>backward_layer</c>; <see cref="MultiHeadAttention"/>'s flat parameters: <c>query_dense</c>, <c>key_dense</c>, the
    /// gate's, <c>value_dense</c>, <c>output_dense</c>, as its <c>build</c> creates them).
    /// </remarks>
    /// <returns>New tensors; changing them leaves the layer as it is.</returns>
    public IReadOnlyList<Tensor> GetWeights()
    {
        IReadOnlyList<Parameter> parameters = Weights;
        var weights = new Tensor[parameters.Count];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = parameters[i].Value.Clone();
        }

        return weights;
    }

    /// <summary>
    /// Overwrites the values of the layer's parameters, in <see cref="GetWeights"/> order (Keras' <c>layer.set_weights()</c>):
    /// <c>layer2.SetWeights(layer1.GetWeights())</c> copies one layer's weights into another of the same configuration built
    /// for the same input. The count and every shape are checked before anything is copied.
    /// </summary>
    /// <remarks>
    /// Unlike <c>Model.SetWeights</c>, a layer does not know which models run it, so nothing holds back a prediction
    /// running on another thread meanwhile: call it between steps and predictions (as Keras requires).
    /// </remarks>
    /// <param name="weights">One tensor per parameter, each of that parameter's shape.</param>
    /// <exception cref="ArgumentException">The count differs from the layer's (an unbuilt layer has none), or a tensor is null
    /// or of another shape; the message names the layer, the weight and both shapes. Nothing is changed then.</exception>
    public void SetWeights(IReadOnlyList<Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        IReadOnlyList<Parameter> parameters = Weights;
        if (weights.Count != parameters.Count)
        {
            string expected = IsBuilt
                ? string.Join(", ", parameters.Select(p => $"{p.Name} {p.Shape}"))
                : "none until it is built; build it (or call it in a model) first";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} has {parameters.Count} weight tensors but {weights.Count} were given; expected {expected}."), nameof(weights));
        }

        for (int i = 0; i < weights.Count; i++)
        {
            if (weights[i] is null || weights[i].Shape != parameters[i].Shape)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: weight {i} ('{parameters[i].Name}') has shape {parameters[i].Shape} but the given tensor has {weights[i]?.Shape.ToString() ?? "null"}."), nameof(weights));
            }
        }

        for (int i = 0; i < weights.Count; i++)
        {
            weights[i].CopyTo(parameters[i].Value);

            // Set values win over the initializer a model would otherwise run when it seeds the layer.
            parameters[i].PendingInitializer = null;
        }
    }

    /// <summary>
    /// The layer's parameters in the order of Keras' <c>layer.weights</c>, the order of <see cref="GetWeights"/> and
    /// <see cref="SetWeights"/>: the layer's own weights, trainable ones first, then each wrapped layer's or sublayer's
    /// <see cref="Weights"/> in turn, each parameter once (see <see cref="GetWeights"/>). Empty until the layer is built.
    /// </summary>
    /// <remarks>
    /// Keras' <c>weights</c> property (keras/src/layers/layer.py): <c>_trainable_variables</c> then
    /// <c>_non_trainable_variables</c>, each in the order they were tracked (a variable stays in the list it was created
    /// in when it is frozen later, as a LoRA-adapted kernel does), then every tracked sublayer's <c>weights</c>,
    /// deduplicated. The same parameters as <see cref="Parameters"/>, which keeps creation order.
    /// </remarks>
    public IReadOnlyList<Parameter> Weights => KerasWeightOrder();

    // Own parameters are those no inner layer created, plus KerasOwnInnerParameters. BuildSublayer's sublayers in the order
    // they were created (Keras' attribute order, see _createdAt); a wrapper's inner layers in the order the wrapper gives.
    private IReadOnlyList<Parameter> KerasWeightOrder()
    {
        IReadOnlyList<Parameter> parameters = Parameters;
        IReadOnlyList<Layer> inner = ReferenceEquals(InnerLayers, _sublayers) ? [.. _sublayers.OrderBy(l => l._createdAt)] : InnerLayers;
        if ((inner.Count == 0 && parameters.All(p => p.CreatedTrainable)) || parameters.Count == 0)
        {
            return parameters;
        }

        var innerParameters = new HashSet<Parameter>(inner.SelectMany(l => l.Parameters), ReferenceEqualityComparer.Instance);
        var ordered = new List<Parameter>(parameters.Count);
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        IEnumerable<Parameter> own = [.. KerasOwnInnerParameters, .. parameters.Where(p => !innerParameters.Contains(p))];
        foreach (Parameter parameter in own.Where(p => p.CreatedTrainable).Concat(own.Where(p => !p.CreatedTrainable)).Concat(inner.SelectMany(l => l.Weights)))
        {
            if (seen.Add(parameter))
            {
                ordered.Add(parameter);
            }
        }

        return ordered;
    }

    /// <summary>
    /// Weights of an inner layer that Keras' layer tracks as its own by setting them as attributes in its <c>build</c>
    /// (Keras' <c>SpectralNormalization</c>: <c>self.kernel = self.layer.kernel</c>), in the order it sets them.
    /// </summary>
    private protected virtual IEnumerable<Parameter> KerasOwnInnerParameters => [];
}
