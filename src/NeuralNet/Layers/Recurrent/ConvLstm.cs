using System.Globalization;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of the convolutional LSTM layers (Keras' <c>ConvLSTM</c>): an LSTM whose input and recurrent products are
/// convolutions, over sequences of 1-D, 2-D or 3-D channels-last frames. Per step, with * a convolution,
/// z = x_t * W (the layer's strides, padding and dilation) + h * U ('same' padding, stride 1) + b split into gate blocks
/// i, f, c, o (Keras' order); i = σ(z_i), f = σ(z_f), o = σ(z_o), c = f·c + i·act(z_c), h = o·act(c).
/// </summary>
/// <remarks>
/// <para>Input (batch, timesteps, ...spatial, channels); output (batch, ...outSpatial, filters), or with
/// <see cref="ReturnSequences"/> (batch, timesteps, ...outSpatial, filters) in the order the steps ran (reversed with
/// <see cref="GoBackwards"/>, as Keras returns them). Weights as Keras lays them out: kernel kernelSize + (channels,
/// 4·filters), recurrent_kernel kernelSize + (filters, 4·filters), bias (4·filters).</para>
/// <para>The 1-D and 2-D layers are the 3-D computation with unit leading axes: each step unfolds its frame into patches
/// (im2col) and multiplies them by the kernel, then unfolds the previous hidden state and adds its product with the
/// recurrent kernel, one matrix product each over the batch. The backward pass runs the steps in reverse, unfolds each
/// step's patches again for the weights' gradients (so only one step's patches are ever held) and folds the patch
/// gradients back (col2im). Buffers are kept for the largest batch seen, so steady-state training allocates nothing.</para>
/// <para>Not supported, and refused by name where Keras would accept them: <c>stateful</c>, masks (Keras' ConvLSTM
/// layers do not support masking either) and channels-first data.</para>
/// </remarks>
public abstract partial class ConvLstm : Layer, IRandomLayer
{
    private Parameter? _kernel;
    private Parameter? _recurrentKernel;
    private Parameter? _bias;
    private VolumeGeometry _inputGeometry;
    private VolumeGeometry _stateGeometry;
    private int _steps;
    private TensorShape _stateShape;
    private TensorShape _sequenceShape;
    private TensorShape[] _stateShapes = [];
    private SeededRandom? _random;

    /// <summary>Creates the layer's settings; parameters are created when it is built.</summary>
    private protected ConvLstm(int rank, int filters, (int Depth, int Height, int Width) kernelSize, (int Depth, int Height, int Width) strides,
        Padding padding, (int Depth, int Height, int Width) dilationRate, ActivationFunction? activation, ActivationFunction? recurrentActivation,
        bool useBias, Initializer? kernelInitializer, Initializer? recurrentInitializer, Initializer? biasInitializer, bool unitForgetBias,
        Regularizer? kernelRegularizer, Regularizer? recurrentRegularizer, Regularizer? biasRegularizer, bool returnSequences, bool goBackwards, string? name)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), filters, nameof(filters), "number of filters");
        VolumeChecks.Positive(Describe(), kernelSize, nameof(kernelSize), "kernel sizes");
        VolumeChecks.Positive(Describe(), strides, nameof(strides), "strides");
        VolumeChecks.Positive(Describe(), dilationRate, nameof(dilationRate), "dilation rates");
        ConvolutionChecks.ValidOrSame(Describe(), padding);
        VolumeChecks.StridesWithDilation(Describe(), strides, dilationRate);
        Rank = rank;
        Filters = filters;
        KernelBox = kernelSize;
        StrideBox = strides;
        DilationBox = dilationRate;
        Padding = padding;
        Activation = activation ?? ActivationFunction.Tanh;
        RecurrentActivation = recurrentActivation ?? ActivationFunction.Sigmoid;
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        RecurrentInitializer = recurrentInitializer ?? new Orthogonal();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        UnitForgetBias = unitForgetBias;
        KernelRegularizer = kernelRegularizer;
        RecurrentRegularizer = recurrentRegularizer;
        BiasRegularizer = biasRegularizer;
        ReturnSequences = returnSequences;
        GoBackwards = goBackwards;
    }

    /// <summary>The number of filters: the channels of the state and of each output step.</summary>
    public int Filters { get; }

    /// <summary>Valid or Same: the input convolution's padding (the recurrent one always pads 'same').</summary>
    public Padding Padding { get; }

    /// <summary>The candidate and output activation (tanh unless given).</summary>
    public ActivationFunction Activation { get; }

    /// <summary>The gates' activation (sigmoid unless given).</summary>
    public ActivationFunction RecurrentActivation { get; }

    /// <summary>Whether the layer has a bias.</summary>
    public bool UseBias { get; }

    /// <summary>Initializes the kernel (glorot_uniform unless given).</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>Initializes the recurrent kernel (orthogonal unless given).</summary>
    public Initializer RecurrentInitializer { get; }

    /// <summary>Initializes the bias (zeros unless given).</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>Whether the forget gate's bias starts at one (Keras' default), the other gates' at the bias initializer's values.</summary>
    public bool UnitForgetBias { get; }

    /// <summary>The kernel's penalty, if any.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The recurrent kernel's penalty, if any.</summary>
    public Regularizer? RecurrentRegularizer { get; }

    /// <summary>The bias' penalty, if any.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>The projection the optimizer applies to the kernel after each step (Keras' <c>kernel_constraint</c>), or null. Set before the layer is built.</summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the recurrent kernel after each step (Keras' <c>recurrent_constraint</c>), or null.</summary>
    public Constraint? RecurrentConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>Whether the output holds every step's hidden state rather than the last.</summary>
    public bool ReturnSequences { get; }

    /// <summary>Whether the steps run from the last time step to the first.</summary>
    public bool GoBackwards { get; }

    /// <summary>
    /// Keras' <c>return_state</c>: the layer has two further outputs, the hidden and the cell state after the last step,
    /// each (batch, ...outSpatial, filters). Call such a layer with
    /// <see cref="Layer.CallOutputs(ReadOnlySpan{NeuralNet.Models.SymbolicTensor})"/>; <c>Sequential</c> refuses it, as Keras does.
    /// </summary>
    public bool ReturnState { get; init; }

    /// <summary>
    /// Keras' <c>dropout</c>: in training, each gate's input convolution reads the frames through its own mask (four masks
    /// of the whole input frame per sample, as Keras' ConvLSTMCell draws them), kept for every time step, the kept values
    /// scaled by 1 / (1 − rate). 0 by default; in [0, 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside [0, 1).</exception>
    public double Dropout
    {
        get;
        init => field = value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(Dropout), value, $"{TypeName}'s dropout is a fraction in [0, 1).");
    }

    /// <summary>
    /// Keras' <c>recurrent_dropout</c>: in training, each gate's recurrent convolution reads the previous hidden state
    /// through its own mask (four masks of the whole state per sample), kept for every time step, the kept values scaled
    /// by 1 / (1 − rate); the state itself is carried undropped. 0 by default; in [0, 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside [0, 1).</exception>
    public double RecurrentDropout
    {
        get;
        init => field = value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(RecurrentDropout), value, $"{TypeName}'s recurrentDropout is a fraction in [0, 1).");
    }

    /// <summary>The seed of the dropout masks (Keras' <c>seed</c>); null to draw them from the model's seed.</summary>
    public long? DropoutSeed { get; init; }

    SeededRandom IRandomLayer.LayerRandom => _random ??= CreateRandom(DropoutSeed);

    /// <summary>The kernel, kernelSize + (channels, 4·filters). Throws until the layer is built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has no kernel until it is built.");

    /// <summary>The recurrent kernel, kernelSize + (filters, 4·filters). Throws until the layer is built.</summary>
    public Parameter RecurrentKernel => _recurrentKernel ?? throw new InvalidOperationException($"{Describe()} has no recurrent kernel until it is built.");

    /// <summary>The bias (4·filters), or null without one. Throws until the layer is built.</summary>
    public Parameter? Bias => !UseBias ? null : _bias ?? throw new InvalidOperationException($"{Describe()} has no bias until it is built.");

    /// <summary>The number of spatial axes of a frame: 1, 2 or 3.</summary>
    private protected int Rank { get; }

    /// <summary>The kernel's sizes as a 3-D box, unit leading axes for the 1-D and 2-D layers.</summary>
    private protected (int Depth, int Height, int Width) KernelBox { get; }

    /// <summary>The strides as a 3-D box.</summary>
    private protected (int Depth, int Height, int Width) StrideBox { get; }

    /// <summary>The dilation rates as a 3-D box.</summary>
    private protected (int Depth, int Height, int Width) DilationBox { get; }

    /// <summary>How an input sample is described in messages, such as <c>(None, timesteps, rows, cols, channels)</c>.</summary>
    private protected abstract string InputDescription { get; }

    /// <inheritdoc/>
    private protected override int MaximumInputs => 3;

    /// <inheritdoc/>
    internal override bool HasSeveralOutputs => ReturnState;

    /// <inheritdoc/>
    private protected override IReadOnlyList<TensorShape> AdditionalOutputShapes => _stateShapes;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("filters", Filters)
        .Set("kernel_size", Last(KernelBox))
        .Set("strides", Last(StrideBox))
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last")
        .Set("dilation_rate", Last(DilationBox))
        .Set("activation", Activation)
        .Set("recurrent_activation", RecurrentActivation)
        .Set("use_bias", UseBias)
        .Set("kernel_initializer", KernelInitializer)
        .Set("recurrent_initializer", RecurrentInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("unit_forget_bias", UnitForgetBias)
        .Set("kernel_regularizer", KernelRegularizer)
        .Set("recurrent_regularizer", RecurrentRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("kernel_constraint", KernelConstraint)
        .Set("recurrent_constraint", RecurrentConstraint)
        .Set("bias_constraint", BiasConstraint)
        .Set("dropout", Dropout)
        .Set("recurrent_dropout", RecurrentDropout)
        .Set("seed", DropoutSeed)
        .Set("return_sequences", ReturnSequences)
        .Set("return_state", ReturnState)
        .Set("go_backwards", GoBackwards)
        .Set("stateful", false);

    // The last Rank entries of a box: what Keras writes for this layer's rank.
    private int[] Last((int Depth, int Height, int Width) box) => [.. new[] { box.Depth, box.Height, box.Width }.AsSpan(3 - Rank)];

    /// <summary>
    /// Keras' settings this layer refuses, checked in <c>FromConfig</c> before anything is created: stateful, channels
    /// first.
    /// </summary>
    private protected static void RefuseUnsupported(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        if (config.Contains("stateful") && config.GetNode("stateful") is not null && config.GetBoolean("stateful"))
        {
            throw config.Error("\"stateful\": true is not supported by NeuralNet's ConvLSTM layers.");
        }
    }

    /// <summary>The box of a 1-, 2- or 3-entry Keras size read from <paramref name="config"/>: an integer n or a list; null when absent.</summary>
    private protected static (int Depth, int Height, int Width)? ReadBox(Config config, string key, int rank)
    {
        switch (rank)
        {
            case 1:
                return ConfigChecks.ReadSingle(config, key) is int n ? (1, 1, n) : null;
            case 2:
                return ConfigChecks.ReadPair(config, key) is (int h, int w) ? (1, h, w) : null;
            default:
                return VolumeChecks.ReadTriple(config, key);
        }
    }

    /// <summary>Builds a layer of the given settings read from a Keras config (after <see cref="RefuseUnsupported"/>).</summary>
    private protected delegate ConvLstm Factory(int filters, (int Depth, int Height, int Width) kernelSize, (int Depth, int Height, int Width) strides, Padding padding,
        (int Depth, int Height, int Width) dilation, ActivationFunction? activation, ActivationFunction? recurrentActivation, bool useBias,
        Initializer? kernelInitializer, Initializer? recurrentInitializer, Initializer? biasInitializer, bool unitForgetBias,
        Regularizer? kernelRegularizer, Regularizer? recurrentRegularizer, Regularizer? biasRegularizer, bool returnSequences, bool goBackwards,
        string? name, Constraint? kernelConstraint, Constraint? recurrentConstraint, Constraint? biasConstraint, bool returnState,
        double dropout, double recurrentDropout, long? seed);

    /// <summary>Keras' <c>from_config</c>, shared by the three ranks: <paramref name="defaults"/> is a default layer's config.</summary>
    private protected static ConvLstm FromConfig(Config config, int rank, Func<int, (int Depth, int Height, int Width), Config> defaults, Factory create)
    {
        int filters = config.GetInt32("filters", minimum: 1);
        (int, int, int) kernelSize = ReadBox(config, "kernel_size", rank) ?? throw config.Error("\"kernel_size\" is missing.");
        RefuseUnsupported(config);
        Config d = config.WithDefaults(defaults(filters, kernelSize));
        (int Depth, int Height, int Width) strides = ReadBox(d, "strides", rank) ?? (1, 1, 1), dilation = ReadBox(d, "dilation_rate", rank) ?? (1, 1, 1);
        if (VolumeChecks.BothExceedOne(strides, dilation))
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return create(filters, kernelSize, strides, ConfigChecks.ReadPadding(d), dilation, d.GetActivation("activation"), d.GetActivation("recurrent_activation"),
            d.GetBoolean("use_bias"), d.GetInitializer("kernel_initializer"), d.GetInitializer("recurrent_initializer"), d.GetInitializer("bias_initializer"),
            d.GetBoolean("unit_forget_bias"), d.GetRegularizer("kernel_regularizer"), d.GetRegularizer("recurrent_regularizer"), d.GetRegularizer("bias_regularizer"),
            d.GetBoolean("return_sequences"), d.GetBoolean("go_backwards"), config.GetString("name"), d.GetConstraint("kernel_constraint"),
            d.GetConstraint("recurrent_constraint"), d.GetConstraint("bias_constraint"), d.GetBoolean("return_state"), d.GetDouble("dropout"),
            d.GetDouble("recurrent_dropout"), d.GetNullableInt64("seed"));
    }

    // Initial states, Keras' initial_state: the hidden and the cell state after the sequence, both or none.
    private protected override TensorShape BuildLayer(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape output = OnBuild(inputShapes[0]);
        if (inputShapes.Length > 1)
        {
            if (inputShapes.Length != 3)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} takes its input alone or with both initial states (h, c) but got {inputShapes.Length - 1} initial state(s)."), nameof(inputShapes));
            }

            for (int i = 1; i < 3; i++)
            {
                if (inputShapes[i] != _stateShape)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{Describe()} expects initial state {i} to be {_stateShape.ToBatchString()} (the state's shape) but got {inputShapes[i].ToBatchString()}."), nameof(inputShapes));
                }
            }
        }

        return output;
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != Rank + 2)
        {
            throw new ArgumentException($"{Describe()} expects input {InputDescription} but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        Span<int> spatial = [1, 1, 1];
        for (int i = 0; i < Rank; i++)
        {
            spatial[3 - Rank + i] = inputShape[1 + i];
        }

        int channels = inputShape[Rank + 1];
        if (!VolumeGeometry.TryCreate(spatial[0], spatial[1], spatial[2], channels, KernelBox, StrideBox, DilationBox, Padding == Padding.Same, out VolumeGeometry g))
        {
            string advice = Padding == Padding.Same ? "use a smaller kernel or dilation" : "use 'same' padding or larger frames";
            throw new ArgumentException(
                $"{Describe()}: a kernel {Format(Last(KernelBox))} with dilation {Format(Last(DilationBox))} does not fit the frames of input {inputShape.ToBatchString()} with padding {Padding}; {advice}.",
                nameof(inputShape));
        }

        VolumeChecks.KernelFits(Describe(), KernelBox, channels, 4 * Filters);
        VolumeChecks.KernelFits(Describe(), KernelBox, Filters, 4 * Filters);
        VolumeChecks.Shape(Describe(), (long)inputShape[0] * g.Depth.Output, g.Height.Output, g.Width.Output, Filters, $"{Filters} filters on input {inputShape.ToBatchString()}");

        // The recurrent convolution reads the state: 'same' padding, stride 1, no dilation (Keras' recurrent_conv).
        VolumeGeometry.TryCreate(g.Depth.Output, g.Height.Output, g.Width.Output, Filters, KernelBox, (1, 1, 1), (1, 1, 1), same: true, out VolumeGeometry state);
        _inputGeometry = g;
        _stateGeometry = state;
        _steps = inputShape[0];
        _sequenceShape = inputShape;

        int[] outSpatial = [.. new[] { g.Depth.Output, g.Height.Output, g.Width.Output }.AsSpan(3 - Rank)];
        int[] kernel = Last(KernelBox);
        _kernel = AddParameter("kernel", new TensorShape([.. kernel, channels, 4 * Filters]), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        _recurrentKernel = AddParameter("recurrent_kernel", new TensorShape([.. kernel, Filters, 4 * Filters]), RecurrentInitializer, RecurrentRegularizer,
            constraint: RecurrentConstraint);
        if (UseBias)
        {
            Initializer bias = UnitForgetBias ? new Lstm.ForgetGateOnes(BiasInitializer, Filters) : BiasInitializer;
            _bias = AddParameter("bias", new TensorShape(4 * Filters), bias, BiasRegularizer, constraint: BiasConstraint);
        }

        _stateShape = new TensorShape([.. outSpatial, Filters]);
        _stateShapes = ReturnState ? [_stateShape, _stateShape] : [];
        _additionalGradients = new Tensor?[_stateShapes.Length];
        _zeroState = new float[Filters];
        return ReturnSequences ? _stateShape.Prepend(_steps) : _stateShape;
    }

    private static string Format(int[] values) => "(" + string.Join(", ", values) + ")";
}
