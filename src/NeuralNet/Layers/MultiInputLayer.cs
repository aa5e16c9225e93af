namespace NeuralNet.Layers;

/// <summary>
/// The base of layers that take several inputs, such as the merge layers (<see cref="Add"/>, <see cref="Concatenate"/>):
/// they build, run forward and run backward on all their inputs at once.
/// </summary>
/// <remarks>
/// Call such a layer on several symbolic tensors (<c>new Add().Call(a, b)</c>), or by hand with
/// <see cref="Layer.Forward(ReadOnlySpan{Tensor}, bool)"/> and <see cref="Layer.Backward(Tensor, Span{Tensor})"/>.
/// As for every layer, the tensors it returns are its own and are overwritten by its next call.
/// </remarks>
public abstract class MultiInputLayer : Layer
{
    /// <summary>Creates a layer that takes several inputs.</summary>
    /// <param name="name">The layer's name; when null, the model names it after its type.</param>
    protected MultiInputLayer(string? name)
        : base(name)
    {
    }

    /// <summary>The smallest number of inputs the layer accepts (1 unless overridden).</summary>
    protected virtual int MinimumInputCount => 1;

    /// <summary>The largest number of inputs the layer accepts (no limit unless overridden).</summary>
    protected virtual int MaximumInputCount => int.MaxValue;

    private protected sealed override int MinimumInputs => MinimumInputCount;

    private protected sealed override int MaximumInputs => MaximumInputCount;

    /// <summary>Validates the per-sample input shapes (one per input), creates the parameters and returns the output shape.</summary>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names the layer and the shapes.</exception>
    protected abstract TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes);

    /// <summary>The forward computation; the number, shapes and batch sizes of the inputs have been checked.</summary>
    protected abstract Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training);

    /// <summary>
    /// The backward computation; the gradient's shape has been checked. Writes dLoss/dInput for every input into
    /// <paramref name="inputGradients"/> (which starts out all null) unless <see cref="Layer.ComputesInputGradient"/> is false.
    /// A slot left null means the input gets no gradient (a comparison's, a condition's), as zeros would, whatever the
    /// number of inputs: the model adds nothing to that input's producer, and <see cref="Layer.Backward(Tensor)"/> of a
    /// one-input layer returns zeros.
    /// </summary>
    protected abstract void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients);

    /// <inheritdoc/>
    protected sealed override TensorShape OnBuild(TensorShape inputShape) => OnBuild([inputShape]);

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(Tensor input, bool training) => OnForward([input], training);

    /// <inheritdoc/>
    protected sealed override Tensor OnBackward(Tensor outputGradient)
    {
        // Unreachable through Layer (RunBackward below replaces the single-input path); Backward(Tensor) is the public way.
        return Backward(outputGradient);
    }

    private protected sealed override TensorShape BuildLayer(ReadOnlySpan<TensorShape> inputShapes) => OnBuild(inputShapes);

    private protected sealed override Tensor RunForward(ReadOnlySpan<Tensor> inputs, bool training) => OnForward(inputs, training);

    private protected sealed override void RunBackward(Tensor outputGradient, Span<Tensor?> inputGradients) => OnBackward(outputGradient, inputGradients);
}
