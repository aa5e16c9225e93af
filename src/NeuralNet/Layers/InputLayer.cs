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
    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
}
