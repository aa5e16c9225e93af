using NeuralNet.Initializers;
using NeuralNet.Regularizers;

namespace NeuralNet.Layers;

/// <summary>
/// A step of a model: it owns its parameters, their gradients, its cached activations and its scratch buffers.
/// </summary>
/// <remarks>
/// <para>Shapes given to and returned by <see cref="Build"/>, <see cref="InputShape"/> and <see cref="OutputShape"/>
/// are per sample, without the batch axis (Keras prints them with a leading <c>None</c>). Tensors given to
/// <see cref="Forward"/> and <see cref="Backward"/> carry the batch axis first.</para>
/// <para>Memory: buffers are created when the layer first sees a batch of a given size and reused after that,
/// so training allocates nothing once warmed up. The tensor returned by <see cref="Forward"/> or
/// <see cref="Backward"/> belongs to the layer and is overwritten by its next call; copy it to keep it.</para>
/// <para>Backward accumulates into <see cref="Parameter.Gradient"/>; the optimizer step clears the gradients.
/// A layer is not thread-safe: one forward/backward at a time.</para>
/// </remarks>
public abstract class Layer
{
    private readonly List<Parameter> _parameters = [];
    private TensorShape _inputShape;
    private TensorShape _outputShape;

    /// <summary>Creates a layer.</summary>
    /// <param name="name">The layer's name; when null, the model names it after its type (<c>dense</c>, <c>dense_1</c>, ...).</param>
    protected Layer(string? name)
    {
        Name = name ?? string.Empty;
    }

    /// <summary>The layer's name, unique within its model; empty until the layer is named by the model when none was given.</summary>
    public string Name { get; internal set; }

    /// <summary>The prefix of automatic names, in Keras' snake_case (<c>dense</c>, <c>conv2d</c>, <c>max_pooling2d</c>).</summary>
    public abstract string DefaultNamePrefix { get; }

    /// <summary>The type shown in summaries, such as <c>Dense</c>.</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>Whether <see cref="Build"/> has run.</summary>
    public bool IsBuilt { get; private set; }

    /// <summary>The shape of one input sample. Throws until the layer is built.</summary>
    public TensorShape InputShape => IsBuilt ? _inputShape : throw NotBuilt();

    /// <summary>The shape of one output sample. Throws until the layer is built.</summary>
    public TensorShape OutputShape => IsBuilt ? _outputShape : throw NotBuilt();

    /// <summary>Every parameter of the layer, trainable or not, in creation order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The number of scalars in all parameters.</summary>
    public long ParameterCount => _parameters.Sum(p => (long)p.Value.Length);

    /// <summary>The number of scalars in trainable parameters.</summary>
    public long TrainableParameterCount => _parameters.Where(p => p.Trainable).Sum(p => (long)p.Value.Length);

    /// <summary>
    /// Whether <see cref="Backward"/> must produce the gradient with respect to the input. The model turns this
    /// off for its first layer, whose input gradient nobody reads, which saves a matrix product per step.
    /// </summary>
    public bool ComputesInputGradient { get; internal set; } = true;

    /// <summary>The seed the layer draws its random numbers from (initializers, dropout masks), set by the model before building.</summary>
    protected internal long Seed { get; internal set; }

    /// <summary>
    /// Creates the parameters for inputs of shape <paramref name="inputShape"/> (per sample) and returns nothing;
    /// the output shape becomes <see cref="OutputShape"/>. Building twice with the same shape does nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is not one this layer accepts; the message names the layer and the shapes.</exception>
    /// <exception cref="InvalidOperationException">The layer was already built for another shape.</exception>
    public void Build(TensorShape inputShape)
    {
        if (IsBuilt)
        {
            if (inputShape != _inputShape)
            {
                throw new InvalidOperationException($"{Describe()} was built for input {_inputShape.ToBatchString()} and cannot take {inputShape.ToBatchString()}.");
            }

            return;
        }

        _outputShape = OnBuild(inputShape);
        _inputShape = inputShape;
        IsBuilt = true;
    }

    /// <summary>
    /// Computes the layer's output for a batch.
    /// </summary>
    /// <param name="input">A batch: (batch, ...<see cref="InputShape"/>).</param>
    /// <param name="training">True during training: dropout drops, batch normalization uses batch statistics.</param>
    /// <returns>(batch, ...<see cref="OutputShape"/>), owned by the layer until its next forward call.</returns>
    /// <exception cref="ArgumentException">The input does not have this layer's input shape.</exception>
    public Tensor Forward(Tensor input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!IsBuilt)
        {
            Build(input.Shape.DropFirst());
        }

        CheckBatchShape(input, _inputShape, "input");
        return OnForward(input, training);
    }

    /// <summary>
    /// Back-propagates through the last forward call: accumulates parameter gradients and returns the input gradient.
    /// </summary>
    /// <param name="outputGradient">dLoss/dOutput for the batch of the last forward call.</param>
    /// <returns>dLoss/dInput, owned by the layer; the output gradient itself when <see cref="ComputesInputGradient"/> is false.</returns>
    /// <exception cref="ArgumentException">The gradient's shape differs from the last output's.</exception>
    public Tensor Backward(Tensor outputGradient)
    {
        CheckOutputGradient(outputGradient);
        return OnBackward(outputGradient);
    }

    /// <summary>
    /// Whether the layer's last operation is a softmax over the last axis, so that a cross-entropy loss can hand it
    /// the fused gradient with respect to the softmax's input (see <see cref="BackwardFromLogitsGradient"/>).
    /// </summary>
    internal virtual bool EndsWithSoftmax => false;

    /// <summary>
    /// Back-propagates from dLoss/dLogits, the gradient with respect to the input of the layer's final softmax
    /// (for softmax + cross-entropy, <c>(p - t) / batch</c>): the layer skips the softmax derivative and continues
    /// its backward pass as <see cref="Backward"/> does (parameter gradients accumulated, input gradient returned).
    /// </summary>
    /// <param name="logitsGradient">dLoss/dLogits, shaped as the last output: (batch, ...<see cref="OutputShape"/>).</param>
    /// <returns>dLoss/dInput, as <see cref="Backward"/> returns it.</returns>
    /// <exception cref="NotSupportedException">The layer does not end with softmax (<see cref="EndsWithSoftmax"/> is false).</exception>
    internal virtual Tensor BackwardFromLogitsGradient(Tensor logitsGradient) =>
        throw new NotSupportedException($"{Describe()} does not end with softmax, so it cannot take a gradient with respect to softmax logits; call Backward.");

    /// <summary>The checks of <see cref="Backward"/>: the layer is built and the gradient has the output's shape.</summary>
    private protected void CheckOutputGradient(Tensor outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (!IsBuilt)
        {
            throw NotBuilt();
        }

        CheckBatchShape(outputGradient, _outputShape, "output gradient");
    }

    /// <summary>Validates <paramref name="inputShape"/>, creates the parameters and returns the output shape (all per sample).</summary>
    protected abstract TensorShape OnBuild(TensorShape inputShape);

    /// <summary>The forward computation; the input's shape has been checked.</summary>
    protected abstract Tensor OnForward(Tensor input, bool training);

    /// <summary>The backward computation; the gradient's shape has been checked.</summary>
    protected abstract Tensor OnBackward(Tensor outputGradient);

    /// <summary>Creates a parameter, fills it with <paramref name="initializer"/> and registers it.</summary>
    protected Parameter AddParameter(string name, TensorShape shape, Initializer initializer, Regularizer? regularizer = null, bool trainable = true)
    {
        ArgumentNullException.ThrowIfNull(initializer);
        var parameter = new Parameter(name, shape, trainable, regularizer);
        initializer.Initialize(parameter.Value.AsSpan(), shape, SeededRandom.Derive(Seed, _parameters.Count));
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// Returns a (batchSize, ...sampleShape) view of <paramref name="buffer"/>, replacing the buffer with a larger one
    /// only when a batch larger than any before arrives. This is how layers keep training allocation-free.
    /// </summary>
    protected static Tensor BatchView(ref Tensor? buffer, int batchSize, TensorShape sampleShape)
    {
        if (buffer is null || buffer.Shape[0] < batchSize || buffer.Length / buffer.Shape[0] != sampleShape.ElementCount)
        {
            buffer = new Tensor(sampleShape.Prepend(batchSize));
        }

        return buffer.FirstRows(batchSize);
    }

    /// <summary>A description for error messages: <c>Dense 'dense_1'</c>.</summary>
    protected string Describe() => Name.Length == 0 ? TypeName : $"{TypeName} '{Name}'";

    private void CheckBatchShape(Tensor tensor, TensorShape expected, string what)
    {
        if (tensor.Rank != expected.Rank + 1 || !tensor.Shape.Dimensions[1..].SequenceEqual(expected.Dimensions))
        {
            throw new ArgumentException($"{Describe()} expects {what} {expected.ToBatchString()} but got {tensor.Shape}.", what == "input" ? "input" : "outputGradient");
        }
    }

    private InvalidOperationException NotBuilt() => new($"{Describe()} has not been built yet: add it to a model with an input shape, or call Build.");

    /// <inheritdoc/>
    public override string ToString() => Describe();
}
