using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// A model input (Keras' <c>keras.Input</c>): a <see cref="SymbolicTensor"/> with the shape of one sample, backed by an
/// <see cref="InputLayer"/>. Its name is the key of this input when Fit, Evaluate or Predict get a dictionary.
/// </summary>
/// <example>
/// <code>
/// var image = new Input(28, 28, 1);
/// var metadata = new Input(new TensorShape(4), name: "metadata");
/// var tokens = new Input([null], name: "tokens"); // sequences of any length
/// </code>
/// </example>
public sealed class Input : SymbolicTensor
{
    /// <summary>Creates an input whose samples have the given shape, named by the model (<c>input_layer</c>, <c>input_layer_1</c>, ...).</summary>
    /// <param name="shape">The per-sample shape, such as 784 or (28, 28, 1).</param>
    /// <exception cref="ArgumentException">The shape has no dimensions or a dimension below 1.</exception>
    public Input(params ReadOnlySpan<int> shape)
        : this(new TensorShape(shape))
    {
    }

    /// <summary>Creates an input whose samples have shape <paramref name="shape"/>.</summary>
    /// <param name="shape">The per-sample shape.</param>
    /// <param name="name">The input's name (the name of its <see cref="InputLayer"/>); null to have the model name it.</param>
    /// <exception cref="ArgumentException">The shape has no dimensions.</exception>
    public Input(TensorShape shape, string? name = null)
        : base(shape, CreateNode(new InputLayer(shape, name)))
    {
    }

    /// <summary>
    /// Creates an input whose null lengths are variable axes (Keras' <c>keras.Input(shape=(None, 16))</c>): each batch may
    /// have any positive length there, as sequences of any length. See <see cref="InputLayer(int?[], string?)"/>.
    /// </summary>
    /// <param name="shape">The per-sample shape, null for a variable axis: <c>[null]</c> for token ids of any length, <c>[null, 16]</c> for sequences of 16 features.</param>
    /// <param name="name">The input's name (the name of its <see cref="InputLayer"/>); null to have the model name it.</param>
    /// <exception cref="ArgumentException">The shape has no entries or a length below 1.</exception>
    public Input(int?[] shape, string? name = null)
        : this(new InputLayer(shape, name))
    {
    }

    internal Input(InputLayer layer)
        : base(layer.Shape, CreateNode(layer), probeShape: layer.ProbeShape)
    {
    }

    /// <summary>The input layer behind this input.</summary>
    public new InputLayer Layer => (InputLayer)base.Layer;

    private static Node CreateNode(InputLayer layer) => layer.CreateInputNode();
}
