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
    }

    /// <summary>The declared shape of one sample.</summary>
    public TensorShape Shape { get; }

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
        foreach (int d in Shape.Dimensions)
        {
            shape.Add((JsonNode)JsonValue.Create(d));
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
        int[] dims;
        if (config.Contains("batch_shape"))
        {
            // Keras: (batch, ...sample); the batch is null or a number and is not part of the sample shape.
            dims = config.GetInt32Array("batch_shape", MaxRank, minimum: 1, allowLeadingNull: true);
            if (config.GetNode("batch_shape") is JsonArray { Count: > 0 } array && array[0] is not null && dims.Length > 0)
            {
                dims = dims[1..];
            }
        }
        else
        {
            dims = config.GetInt32Array("shape", MaxRank, minimum: 1);
        }

        return dims.Length == 0 ? throw config.Error("the input shape has no dimensions.") : new InputLayer(new TensorShape(dims), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
}
