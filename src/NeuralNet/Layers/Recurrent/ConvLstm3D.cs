using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A convolutional LSTM over sequences of volumes (Keras' <c>ConvLSTM3D</c>): input (batch, timesteps, depth, rows,
/// cols, channels), output (batch, outDepth, outRows, outCols, filters), or (batch, timesteps, outDepth, outRows, outCols, filters) with
/// <see cref="ConvLstm.ReturnSequences"/>. See <see cref="ConvLstm"/> for the cell.
/// </summary>
/// <remarks>Kernel (kernelDepth, kernelRows, kernelCols, channels, 4·filters), recurrent kernel (kernelDepth, kernelRows,
/// kernelCols, filters, 4·filters), bias (4·filters), as Keras lays them out.</remarks>
/// <example><c>SymbolicTensor h = new ConvLstm3D(8, (3, 3, 3), padding: Padding.Same, returnSequences: true).Call(clips);</c></example>
public sealed class ConvLstm3D : ConvLstm
{
    /// <summary>Creates a 3-D convolutional LSTM with a cubic kernel and equal strides.</summary>
    /// <param name="filters">The number of filters (the state's channels), at least 1.</param>
    /// <param name="kernelSize">The kernel's depth, height and width, at least 1.</param>
    /// <param name="strides">The input convolution's step along every axis, at least 1.</param>
    /// <param name="padding">The input convolution's padding: <see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</param>
    /// <param name="dilationRate">The input convolution's tap spacing along every axis, at least 1; cannot exceed 1 with strides above 1 (Keras).</param>
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
    /// <param name="name">The layer's name; null to have the model name it <c>conv_lstm3d</c>, <c>conv_lstm3d_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, stride or dilation is below 1, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public ConvLstm3D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int dilationRate = 1,
        ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null, bool unitForgetBias = true,
        Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null,
        bool returnSequences = false, bool goBackwards = false, string? name = null)
        : this(filters, (kernelSize, kernelSize, kernelSize), (strides, strides, strides), padding, (dilationRate, dilationRate, dilationRate), activation, recurrentActivation, useBias,
            kernelInitializer, recurrentInitializer, biasInitializer, unitForgetBias, kernelRegularizer, recurrentRegularizer, biasRegularizer,
            returnSequences, goBackwards, name)
    {
    }

    /// <summary>Creates a 3-D convolutional LSTM with a box-shaped kernel and per-axis strides.</summary>
    /// <param name="filters">The number of filters (the state's channels), at least 1.</param>
    /// <param name="kernelSize">The kernel's (depth, height, width), each at least 1.</param>
    /// <param name="strides">The input convolution's step along each axis, each at least 1; (1, 1, 1) when null.</param>
    /// <param name="padding">The input convolution's padding: <see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</param>
    /// <param name="dilationRate">The input convolution's tap spacing along each axis, each at least 1; (1, 1, 1) when null. Cannot exceed 1 with strides above 1 (Keras).</param>
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
    /// <param name="name">The layer's name; null to have the model name it <c>conv_lstm3d</c>, <c>conv_lstm3d_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, stride or dilation is below 1, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public ConvLstm3D(int filters, (int Depth, int Height, int Width) kernelSize, (int Depth, int Height, int Width)? strides = null, Padding padding = Padding.Valid,
        (int Depth, int Height, int Width)? dilationRate = null, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null, bool unitForgetBias = true,
        Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null,
        bool returnSequences = false, bool goBackwards = false, string? name = null)
        : base(3, filters, kernelSize, strides ?? (1, 1, 1), padding, dilationRate ?? (1, 1, 1), activation,
            recurrentActivation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, unitForgetBias, kernelRegularizer,
            recurrentRegularizer, biasRegularizer, returnSequences, goBackwards, name)
    {
    }

    /// <summary>The kernel's (depth, height, width).</summary>
    public (int Depth, int Height, int Width) KernelSize => KernelBox;

    /// <summary>The input convolution's step along each axis.</summary>
    public (int Depth, int Height, int Width) Strides => StrideBox;

    /// <summary>The input convolution's tap spacing along each axis.</summary>
    public (int Depth, int Height, int Width) DilationRate => DilationBox;

    /// <inheritdoc/>
    public override string TypeName => "ConvLSTM3D";

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "conv_lstm3d";

    /// <inheritdoc/>
    private protected override string InputDescription => "(None, timesteps, depth, rows, cols, channels)";

    /// <summary>Keras' <c>from_config</c>; refuses stateful and channels first by name.</summary>
    internal static ConvLstm3D FromConfig(Config config) => (ConvLstm3D)FromConfig(config, 3,
        static (filters, k) => new ConvLstm3D(filters, k).GetConfig(),
        static (filters, k, s, p, d, act, rec, bias, ki, ri, bi, ufb, kr, rr, br, seq, back, name, kc, rc, bc, state, dropout, recurrentDropout, seed) =>
            new ConvLstm3D(filters, k, s, p, d, act, rec, bias, ki, ri, bi, ufb, kr, rr, br, seq, back, name)
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
