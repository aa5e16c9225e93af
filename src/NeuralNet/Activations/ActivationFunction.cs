using NeuralNet.Serialization;

namespace NeuralNet.Activations;

/// <summary>
/// An element-wise (or, for softmax, row-wise) activation function with its derivative.
/// </summary>
/// <remarks>
/// Data is a batch of rows laid out contiguously: <c>input.Length</c> is a multiple of <c>columns</c>, the
/// length of the last axis. Row-wise functions (softmax) act on each row; element-wise ones ignore <c>columns</c>.
/// Implementations are stateless and thread-safe, so one instance can serve any number of layers; the static
/// properties (<see cref="Relu"/>, <see cref="Softmax"/>, ...) are such shared instances.
/// </remarks>
public abstract class ActivationFunction
{
    /// <summary>The identity, <c>f(x) = x</c> (Keras <c>linear</c>, the Dense default).</summary>
    public static ActivationFunction Linear { get; } = new NeuralNet.Activations.Linear();

    /// <summary>The rectified linear unit, <c>max(x, 0)</c>.</summary>
    public static ActivationFunction Relu { get; } = new NeuralNet.Activations.Relu();

    /// <summary>The logistic sigmoid, <c>1 / (1 + exp(-x))</c>.</summary>
    public static ActivationFunction Sigmoid { get; } = new NeuralNet.Activations.Sigmoid();

    /// <summary>The hyperbolic tangent.</summary>
    public static ActivationFunction Tanh { get; } = new NeuralNet.Activations.Tanh();

    /// <summary>Softmax over the last axis, computed with the row maximum subtracted.</summary>
    public static ActivationFunction Softmax { get; } = new NeuralNet.Activations.Softmax();

    /// <summary>Leaky ReLU with Keras' activation default negative slope 0.2.</summary>
    public static ActivationFunction LeakyRelu { get; } = new NeuralNet.Activations.LeakyRelu();

    /// <summary>ELU with alpha 1.</summary>
    public static ActivationFunction Elu { get; } = new NeuralNet.Activations.Elu();

    /// <summary>GELU in its exact (erf) form, Keras' default.</summary>
    public static ActivationFunction Gelu { get; } = new NeuralNet.Activations.Gelu();

    /// <summary>SELU, <c>scale * elu(x, alpha)</c> with Keras' constants; pair it with <see cref="Initializers.LeCunNormal"/>.</summary>
    public static ActivationFunction Selu { get; } = new NeuralNet.Activations.Selu();

    /// <summary>Softplus, <c>log(1 + exp(x))</c>.</summary>
    public static ActivationFunction Softplus { get; } = new NeuralNet.Activations.Softplus();

    /// <summary>Softsign, <c>x / (|x| + 1)</c>.</summary>
    public static ActivationFunction Softsign { get; } = new NeuralNet.Activations.Softsign();

    /// <summary>SiLU (swish), <c>x * sigmoid(x)</c>.</summary>
    public static ActivationFunction Silu { get; } = new NeuralNet.Activations.Silu();

    /// <summary>Keras 3's hard sigmoid, <c>relu6(x + 3) / 6</c>.</summary>
    public static ActivationFunction HardSigmoid { get; } = new NeuralNet.Activations.HardSigmoid();

    /// <summary>Hard SiLU (hard swish), <c>x * relu6(x + 3) / 6</c>.</summary>
    public static ActivationFunction HardSilu { get; } = new NeuralNet.Activations.HardSilu();

    /// <summary>Mish, <c>x * tanh(softplus(x))</c>.</summary>
    public static ActivationFunction Mish { get; } = new NeuralNet.Activations.Mish();

    /// <summary>ReLU capped at 6, <c>min(max(x, 0), 6)</c>.</summary>
    public static ActivationFunction Relu6 { get; } = new NeuralNet.Activations.Relu6();

    /// <summary>The exponential, <c>exp(x)</c>.</summary>
    public static ActivationFunction Exponential { get; } = new NeuralNet.Activations.Exponential();

    /// <summary>Log-softmax over the last axis.</summary>
    public static ActivationFunction LogSoftmax { get; } = new NeuralNet.Activations.LogSoftmax();

    /// <summary>
    /// The activation a Keras identifier names, with its default settings (Keras' <c>keras.activations.get</c>):
    /// <c>"relu"</c>, <c>"selu"</c>, <c>"silu"</c> or its alias <c>"swish"</c>, <c>"hard_silu"</c> or <c>"hard_swish"</c>, ...
    /// </summary>
    /// <param name="identifier">A Keras activation name, or the class name an activation is registered under.</param>
    /// <returns>The activation; the shared instance for those that have one (<see cref="Relu"/>, <see cref="Softmax"/>, ...).</returns>
    /// <exception cref="ArgumentException">No activation has that name; the message lists the known identifiers.</exception>
    public static ActivationFunction Get(string identifier) => SerializationRegistry.FromIdentifier<ActivationFunction>(identifier, nameof(identifier));

    /// <summary>The identifier used in summaries and saved configurations, as Keras names it (<c>relu</c>, <c>softmax</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Computes <c>output = f(input)</c>. <paramref name="output"/> may be the same span as <paramref name="input"/>.</summary>
    /// <param name="input">The values, a whole number of rows of <paramref name="columns"/> elements.</param>
    /// <param name="output">Receives <c>f(input)</c>; as long as <paramref name="input"/>.</param>
    /// <param name="columns">The length of the last axis.</param>
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

    /// <summary>
    /// The activation's settings under Keras' names (Keras' <c>get_config</c>); empty for one without settings. An
    /// activation with its default settings is saved as its <see cref="Name"/>, any other as its class and configuration.
    /// </summary>
    public virtual Config GetConfig() => new();

    /// <summary>Throws unless the four spans have one length, a whole number of rows of <paramref name="columns"/>.</summary>
    private protected static void CheckLengths(int inputLength, int otherLength, int columns, string otherName)
    {
        if (otherLength != inputLength)
        {
            throw new ArgumentException($"Activation spans differ in length: input has {inputLength} elements but {otherName} has {otherLength}.", otherName);
        }

        if (columns <= 0 || inputLength % columns != 0)
        {
            throw new ArgumentException($"Activation input of {inputLength} elements is not a whole number of rows of {columns} columns.", nameof(columns));
        }
    }
}
