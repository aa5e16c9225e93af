using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A convolutional LSTM over sequences of 1-D signals (Keras' <c>ConvLSTM1D</c>): input (batch, timesteps, length,
/// channels), output (batch, outLength, filters), or (batch, timesteps, outLength, filters) with
/// <see cref="ConvLstm.ReturnSequences"/>. See <see cref="ConvLstm"/> for the cell.
/// </summary>
/// <remarks>Kernel (kernelSize, channels, 4·filters), recurrent kernel (kernelSize, filters, 4·filters), bias (4·filters),
/// as Keras lays them out.</remarks>
/// <example><c>SymbolicTensor h = new ConvLstm1D(8, 3, padding: Padding.Same).Call(signals);</c></example>
public sealed class ConvLstm1D : ConvLstm
{
    /// <summary>Creates a 1-D convolutional LSTM.</summary>
    /// <param name="filters">The number of filters (the state's channels), at least 1.</param>
    /// <param name="kernelSize">The kernel's length, at least 1.</param>
    /// <param name="strides">The input convolution's step, at least 1.</param>
    /// <param name="padding">The input convolution's padding: <see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</param>
    /// <param name="dilationRate">The input convolution's tap spacing, at least 1; cannot exceed 1 with strides above 1 (Keras).</param>
    /// <param name="activation">The candidate and output activation; tanh when null.</param>
    /// <param name="recurrentActivation">The gates' activation; sigmoid when null.</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer; glorot_uniform when null.</param>
    /// <param name="recurrentInitializer">The recurrent kernel's initializer; orthogonal when null.</param>
    /// <param name="biasInitializer">The bias' initializer; zeros when null.</param>
    /// <param name="unitForgetBias">Whether the forget gate's bias starts at one (Keras' default).</param>
    /// <param name="kernelRegularizer">The kernel's penalty, if any.</param>
    /// <param name="recurrentRegularizer">The recurrent kernel's penalty, if any.</param>
    /// <param name="biasRegularizer">The bias' penalty, if any.</param>
    /// <param name="returnSequences">Whether to return every step's state rather than the last.</param>
    /// <param name="goBackwards">Whether to run from the last time step to the first.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>conv_lstm1d</c>, <c>conv_lstm1d_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, stride or dilation is below 1, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public ConvLstm1D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int dilationRate = 1,
        ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null, bool unitForgetBias = true,
        Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null,
        bool returnSequences = false, bool goBackwards = false, string? name = null)
        : base(1, filters, (1, 1, kernelSize), (1, 1, strides), padding, (1, 1, dilationRate), activation, recurrentActivation, useBias,
            kernelInitializer, recurrentInitializer, biasInitializer, unitForgetBias, kernelRegularizer, recurrentRegularizer, biasRegularizer,
            returnSequences, goBackwards, name)
    {
    }

    /// <summary>The kernel's length.</summary>
    public int KernelSize => KernelBox.Width;

    /// <summary>The input convolution's step.</summary>
    public int Strides => StrideBox.Width;

    /// <summary>The input convolution's tap spacing.</summary>
    public int DilationRate => DilationBox.Width;

    /// <inheritdoc/>
    public override string TypeName => "ConvLSTM1D";

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "conv_lstm1d";

    /// <inheritdoc/>
    private protected override string InputDescription => "(None, timesteps, length, channels)";

    /// <summary>Keras' <c>from_config</c>; refuses stateful and channels first by name.</summary>
    internal static ConvLstm1D FromConfig(Config config) => (ConvLstm1D)FromConfig(config, 1,
        static (filters, k) => new ConvLstm1D(filters, k.Width).GetConfig(),
        static (filters, k, s, p, d, act, rec, bias, ki, ri, bi, ufb, kr, rr, br, seq, back, name, kc, rc, bc, state, dropout, recurrentDropout, seed) =>
            new ConvLstm1D(filters, k.Width, s.Width, p, d.Width, act, rec, bias, ki, ri, bi, ufb, kr, rr, br, seq, back, name)
            {
                KernelConstraint = kc,
                RecurrentConstraint = rc,
                BiasConstraint = bc,
                ReturnState = state,
                Dropout = dropout,
                RecurrentDropout = recurrentDropout,
                DropoutSeed = seed,
            });
}
