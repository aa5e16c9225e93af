using System.Globalization;

namespace NeuralNet.Layers;

// Keras' layer.get_weights() / set_weights(): the values of one layer's parameters, copied out and in.
public abstract partial class Layer
{
    /// <summary>
    /// Copies of the values of the layer's parameters, in <see cref="Parameters"/> order (Keras' <c>layer.get_weights()</c>):
    /// the order Keras gives a layer's weights, trainable ones first (<see cref="Dense"/>: kernel, bias;
    /// <see cref="BatchNormalization"/>: gamma, beta, moving_mean, moving_variance). Empty until the layer is built, as in
    /// Keras. A model's <c>GetWeights</c> is its layers' lists one after the other.
    /// </summary>
    /// <returns>New tensors; changing them leaves the layer as it is.</returns>
    public IReadOnlyList<Tensor> GetWeights()
    {
        IReadOnlyList<Parameter> parameters = Parameters;
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
        IReadOnlyList<Parameter> parameters = Parameters;
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
}
