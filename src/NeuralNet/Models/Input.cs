using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// A model input (Keras' <c>keras.Input</c>): a <see cref="SymbolicTensor"/> with the shape of one sample, backed by an
/// <see cref="InputLayer"/>. Its name is the key of this input when Fit, Evaluate or Predict get a dictionary.
/// </summary>
/// <example>
/// <code>
/// var image = new Input(28, 28, 1);
/// var metadata = new Input(4, name: "metadata");
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

    /// <summary>
    /// Creates a named input whose samples are vectors of <paramref name="length"/> values (Keras'
    /// <c>keras.Input(shape=(64,), name="state_h")</c>): <c>new Input(64, name: "state_h")</c>.
    /// </summary>
    /// <param name="length">The number of values per sample.</param>
    /// <param name="name">The input's name (the name of its <see cref="InputLayer"/>); null to have the model name it.</param>
    /// <exception cref="ArgumentException"><paramref name="length"/> is below 1.</exception>
    // The name has no default: with one, new Input(64) would choose between this and the params overload by a tie-break rule.
    public Input(int length, string? name)
        : this(new TensorShape(length), name)
    {
    }

    /// <summary>Creates a named input whose samples have shape (<paramref name="rows"/>, <paramref name="columns"/>), such as (timesteps, features).</summary>
    /// <param name="rows">The length of the first axis of a sample.</param>
    /// <param name="columns">The length of the second axis of a sample.</param>
    /// <param name="name">The input's name (the name of its <see cref="InputLayer"/>); null to have the model name it.</param>
    /// <exception cref="ArgumentException">A length is below 1.</exception>
    public Input(int rows, int columns, string? name)
        : this(new TensorShape(rows, columns), name)
    {
    }

    /// <summary>Creates a named input whose samples have shape (<paramref name="height"/>, <paramref name="width"/>, <paramref name="channels"/>), such as an image.</summary>
    /// <param name="height">The length of the first axis of a sample.</param>
    /// <param name="width">The length of the second axis of a sample.</param>
    /// <param name="channels">The length of the third axis of a sample.</param>
    /// <param name="name">The input's name (the name of its <see cref="InputLayer"/>); null to have the model name it.</param>
    /// <exception cref="ArgumentException">A length is below 1.</exception>
    public Input(int height, int width, int channels, string? name)
        : this(new TensorShape(height, width, channels), name)
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
