using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// The checks shared by the wrappers that run a copy of a layer made from its configuration (<see cref="TimeDistributed"/>,
/// <see cref="Pipeline"/>), so that both refuse the same layers with the same words.
/// </summary>
internal static class WrappedLayers
{
    /// <summary>Throws unless <paramref name="layer"/> can be wrapped: an unbuilt single-input layer given to no other wrapper, without LoRA.</summary>
    /// <param name="layer">The layer given to the wrapper.</param>
    /// <param name="wrapper">The wrapper's type name, for the message.</param>
    /// <param name="position">Where the layer was given (<c>layer</c>, <c>layer 2</c>), for the message.</param>
    /// <param name="paramName">The constructor's parameter.</param>
    /// <exception cref="ArgumentException">The layer cannot be wrapped; the message says why.</exception>
    public static void Check(Layer layer, string wrapper, string position, string paramName)
    {
        string? problem = layer switch
        {
            InputLayer => "is an InputLayer, which starts a model and cannot be called on a tensor",
            // A one-input Lambda is a MultiInputLayer only to share one class with its list form.
            MultiInputLayer and not Lambda { TakesList: false } => string.Create(CultureInfo.InvariantCulture, $"takes several inputs; {wrapper} passes one tensor to it"),
            { IsBuilt: true } => string.Create(CultureInfo.InvariantCulture, $"is built; {wrapper} runs a copy of an unbuilt layer, made from its configuration"),

            // The layer remembers one wrapper (LoRA's refusal reads it), and each wrapper builds a copy of its own anyway.
            { Wrapper: Layer other } => string.Create(CultureInfo.InvariantCulture, $"is already given to {other}; give each wrapper a layer of its own"),
            _ => null,
        };
        if (problem is not null)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{wrapper}'s {position}, {layer}, {problem}."), paramName);
        }

        LowRankAdaptation.RefuseWrapping(layer, wrapper);
    }
}
