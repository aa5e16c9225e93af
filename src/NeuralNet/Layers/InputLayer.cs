using System.Text.Json.Nodes;
using NeuralNet.Models;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Declares the shape of one input sample, without the batch axis: <c>new InputLayer(784)</c> for flat vectors,
/// <c>new InputLayer(28, 28, 1)</c> for images (channels last). Its output is its input.
/// </summary>
/// <remarks>
/// A model uses it to build every following layer before training, so shape errors surface at construction.
/// It has no parameters; its forward and backward return their argument unchanged.
/// </remarks>
public sealed class InputLayer : Layer
{
    /// <summary>The largest rank of a per-sample shape a file may declare.</summary>
    internal const int MaxRank = 8;

    /// <summary>Declares the per-sample input shape.</summary>
    /// <param name="shape">The length of each axis of one sample; every one positive.</param>
    /// <exception cref="ArgumentException">No dimension is given, or one is not positive.</exception>
    public InputLayer(params ReadOnlySpan<int> shape)
        : this(new TensorShape(shape))
    {
    }

    /// <summary>Declares the per-sample input shape, with a name.</summary>
    /// <param name="shape">The shape of one sample, of rank 1 or more.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>input_layer</c>, ...</param>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has rank 0.</exception>
    public InputLayer(TensorShape shape, string? name = null)
        : base(name)
    {
        if (shape.Rank == 0)
        {
            throw new ArgumentException("InputLayer expects the shape of one sample, such as (784,) or (28, 28, 1), but got no dimensions.", nameof(shape));
        }

        if (shape.ElementCount == 0)
        {
            throw new ArgumentException($"InputLayer expects the shape of one sample with every dimension positive, but got {shape}.", nameof(shape));
        }

        Shape = shape;
        ProbeShape = shape;
    }

    /// <summary>
    /// Declares a per-sample input shape whose null entries are variable axes (Keras' <c>Input(shape=(None, 16))</c>): a
    /// batch may have any positive length there, and each batch may have another. The layers are built for
    /// <see cref="NominalLength"/> on those axes, and a layer whose weights would depend on such a length is refused when it
    /// is called.
    /// </summary>
    /// <param name="shape">The length of each axis of one sample, or null for a variable axis.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>input_layer</c>, ...</param>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has no entries, or a length below 1.</exception>
    public InputLayer(int?[] shape, string? name = null)
        : this(WithLength(shape, NominalLength), name)
    {
        ProbeShape = WithLength(shape, Models.VariableShapes.ProbeLength);
    }

    /// <summary>
    /// The length a variable axis has in <see cref="Shape"/> and in the shapes of the tensors that follow it: the length
    /// the model's layers are built for. Batches of other lengths run on copies of the layers built for theirs.
    /// </summary>
    public const int NominalLength = 64;

    /// <summary>The declared shape of one sample; a variable axis (<see cref="VariableAxes"/>) holds <see cref="NominalLength"/>.</summary>
    public TensorShape Shape { get; }

    /// <summary>The axes of <see cref="Shape"/> declared variable (null); empty for a fixed shape.</summary>
    public IReadOnlyList<int> VariableAxes => Models.VariableShapes.Axes(Shape, ProbeShape);

    // The shape with every variable axis at VariableShapes.ProbeLength.
    internal TensorShape ProbeShape { get; }

    // A copy of another input's declaration: its nominal shape and its probe shape (the variable axes where they differ).
    internal InputLayer(TensorShape shape, TensorShape probeShape, string? name)
        : this(shape, name)
    {
        ProbeShape = probeShape;
    }

    private static TensorShape WithLength(int?[] shape, int length)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dims = new int[shape.Length];
        for (int a = 0; a < shape.Length; a++)
        {
            dims[a] = shape[a] ?? length;
        }

        return dims.Length == 0 ? default : new TensorShape(dims);
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "input_layer";

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape != Shape)
        {
            throw new ArgumentException($"{Describe()} declares input {Shape.ToBatchString()} but was built for {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        return Shape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => input;

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        // Keras 3's InputLayer config: the batch shape with its null batch axis, and the name; no "trainable".
        var shape = new JsonArray { null };
        for (int a = 0; a < Shape.Rank; a++)
        {
            shape.Add(Shape[a] == ProbeShape[a] ? (JsonNode)JsonValue.Create(Shape[a]) : null);
        }

        return new Config().Set("batch_shape", shape).Set("dtype", "float32").Set("sparse", false).Set("name", Name);
    }

    /// <summary>Builds the layer and records the call that makes it a model input (a node with no inputs).</summary>
    internal Node CreateInputNode()
    {
        if (Nodes.Count > 0)
        {
            throw new InvalidOperationException($"{Describe()} already has its Input; an InputLayer declares one model input.");
        }

        Build(Shape);
        return AddNode([]);
    }

    /// <summary>Keras' <c>from_config</c>: the shape from <c>batch_shape</c> (or <c>shape</c>), and the name.</summary>
    internal static InputLayer FromConfig(Config config)
    {
        // Keras: batch_shape is (batch, ...sample), the batch null or a number and not part of the sample shape; a null
        // sample length is a variable axis.
        int?[] dims = config.Contains("batch_shape")
            ? config.GetNullableInt32Array("batch_shape", MaxRank, minimum: 1, skipFirst: true)
            : config.GetNullableInt32Array("shape", MaxRank, minimum: 1, skipFirst: false);
        return dims.Length == 0 ? throw config.Error("the input shape has no dimensions.") : new InputLayer(dims, config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
}
