namespace NeuralNet.Activations;

/// <summary>
/// An element-wise (or, for softmax, row-wise) activation function with its derivative.
/// </summary>
/// <remarks>
/// Data is a batch of rows laid out contiguously: <c>input.Length</c> is a multiple of <c>columns</c>, the
/// length of the last axis. Row-wise functions (softmax) act on each row; element-wise ones ignore <c>columns</c>.
/// Implementations are stateless and thread-safe.
/// </remarks>
public abstract class ActivationFunction
{
    /// <summary>The identifier used in summaries and saved configurations, as Keras names it (<c>relu</c>, <c>softmax</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Computes <c>output = f(input)</c>. <paramref name="output"/> may be the same span as <paramref name="input"/>.</summary>
    public abstract void Forward(ReadOnlySpan<float> input, Span<float> output, int columns);

    /// <summary>
    /// Computes the gradient with respect to the input from the gradient with respect to the output.
    /// </summary>
    /// <param name="input">The forward input.</param>
    /// <param name="output">The forward output.</param>
    /// <param name="outputGradient">dLoss/dOutput.</param>
    /// <param name="inputGradient">Receives dLoss/dInput; may be the same span as <paramref name="outputGradient"/>.</param>
    /// <param name="columns">The length of the last axis.</param>
    public abstract void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
