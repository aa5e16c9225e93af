namespace NeuralNet.Layers;

/// <summary>
/// Base of the parameterless layers whose output has the input's shape and whose passes are span kernels over the whole
/// batch (<see cref="Activation"/>, <see cref="ReLU"/>, <see cref="Clip"/>, <see cref="ElementwiseMath"/>, ...). The base
/// owns what every such layer needs around its kernels: the output and input-gradient buffers (sized for the largest
/// batch so far and viewed for a smaller one, so training allocates nothing after the first batch of each size; a larger
/// batch replaces the buffers, and one smaller size is kept viewed at a time, as for an epoch's last batch), the input and
/// output of the last forward pass, the check that a backward pass follows a forward pass of the same batch size, and the
/// skip when no input gradient is needed. A subclass gives its two kernels, <see cref="ForwardElements"/> and <see cref="BackwardElements"/>,
/// and its settings (<see cref="Layer.DefaultNamePrefix"/>, <see cref="Layer.GetConfig"/>).
/// </summary>
/// <remarks>
/// Each kernel runs once per batch over the batch's contiguous elements, row-major, batch first: (batch, ...InputShape).
/// A kernel may treat the elements one by one or row by row along the last axis (softmax does, with rows
/// <see cref="LastAxisLength"/> long), but must not allocate.
/// The layer's shape is its input's; masks are dropped unless the subclass overrides <see cref="Layer.SupportsMasking"/>.
/// <para>
/// The kernels must be pure: they read only the layer's settings, which must not change once the layer is made, and their
/// arguments, and write only <c>output</c> (forward) or <c>inputGradient</c> (backward). The copies a model runs for a
/// layer's further calls and for concurrent <c>Predict</c> calls are member-wise clones of the layer, so every field a
/// subclass sets (an array made in its constructor too) is shared by all of them, and a kernel that kept scratch in a
/// field would race with the other copies. <see cref="OnBuild"/> is sealed, so the base has no per-copy place for scratch:
/// a layer that needs scratch derives from <see cref="Layer"/> and makes it in its <c>OnBuild</c>, which each copy runs.
/// </para>
/// </remarks>
public abstract class ElementwiseLayer : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;
    private Tensor? _lastOutput;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">The layer's name; null to have the model name it from <see cref="Layer.DefaultNamePrefix"/>.</param>
    protected ElementwiseLayer(string? name = null)
        : base(name)
    {
    }

    /// <summary>
    /// Whether the input gradient is the output gradient itself (<c>x + c</c>, <c>x - c</c>): the backward pass then
    /// returns it without calling <see cref="BackwardElements"/>. False by default.
    /// </summary>
    protected virtual bool PassesGradientThrough => false;

    /// <summary>
    /// The length of the last axis of a sample (1 for a scalar sample): the row length of kernels that act row by row
    /// along the last axis. Valid once the layer is built, as it is when the kernels run.
    /// </summary>
    protected int LastAxisLength => InputShape.Rank == 0 ? 1 : InputShape[-1];

    /// <summary>Computes the output of a batch: <paramref name="output"/> = f(<paramref name="input"/>).</summary>
    /// <param name="input">The batch's input, (batch, ...InputShape) row-major.</param>
    /// <param name="output">Where to write the output, as long as <paramref name="input"/>.</param>
    protected abstract void ForwardElements(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// Computes the input gradient of a batch from the output gradient and the forward pass's input and output (the
    /// vector-Jacobian product: dx = dy · f'(x) for a function of each element).
    /// </summary>
    /// <param name="input">The last forward pass's input.</param>
    /// <param name="output">The last forward pass's output.</param>
    /// <param name="outputGradient">dLoss/dOutput, as long as <paramref name="input"/>.</param>
    /// <param name="inputGradient">Where to write dLoss/dInput, as long as <paramref name="input"/>.</param>
    protected abstract void BackwardElements(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient);

    /// <inheritdoc/>
    protected sealed override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(Tensor input, bool training)
    {
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        ForwardElements(input.AsReadOnlySpan(), output.AsSpan());
        _lastInput = input;
        _lastOutput = output;
        return output;
    }

    /// <inheritdoc/>
    protected sealed override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(outputGradient);
        if (!ComputesInputGradient || PassesGradientThrough)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        BackwardElements(_lastInput!.AsReadOnlySpan(), _lastOutput!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), inputGradient.AsSpan());
        return inputGradient;
    }

    /// <summary>Throws unless a forward pass of <paramref name="outputGradient"/>'s batch size ran last.</summary>
    private protected void CheckForwardRan(Tensor outputGradient) => CheckForwardRan(_lastInput, outputGradient);
}
