using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>LSTMCell</c>: z = x·kernel + h·recurrent_kernel + bias in gate blocks i, f, c, o; c = f·c_prev + i·act(z_c),
/// h = o·act(c). States [h, c]; the output is h. Run it with <see cref="Rnn"/>. <see cref="Lstm"/> computes the same
/// on a faster path, with the same gate arithmetic, except in training with <c>recurrent_dropout</c>: this cell drops
/// the state with one mask for all four gates, the layer with one per gate (see <see cref="GatedRnnCell.RecurrentDropout"/>).
/// </summary>
public sealed class LstmCell : GatedRnnCell
{
    private float[] _preActivations = [];
    private float[] _gates = [];
    private float[] _cellActivations = [];
    private float[] _dh = [];
    private float[] _da = [];
    private float[] _dz = [];

    /// <summary>Creates the cell.</summary>
    /// <param name="units">The size of each state and of the output.</param>
    /// <param name="activation">The candidate and output activation; tanh when null.</param>
    /// <param name="recurrentActivation">The gates' activation; sigmoid when null.</param>
    /// <param name="useBias">Whether the cell has a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer; glorot_uniform when null.</param>
    /// <param name="recurrentInitializer">The recurrent kernel's initializer; orthogonal when null.</param>
    /// <param name="biasInitializer">The bias' initializer; zeros when null.</param>
    /// <param name="unitForgetBias">Whether the forget gate's bias starts at one (Keras' default).</param>
    /// <param name="kernelRegularizer">The kernel's penalty, if any.</param>
    /// <param name="recurrentRegularizer">The recurrent kernel's penalty, if any.</param>
    /// <param name="biasRegularizer">The bias' penalty, if any.</param>
    /// <param name="dropout">The fraction of the inputs dropped in training, in [0, 1).</param>
    /// <param name="recurrentDropout">The fraction of the previous h dropped before the recurrent product in training, in [0, 1).</param>
    /// <param name="seed">The dropout seed; null to use the model's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is below 1, or a rate is outside [0, 1).</exception>
    public LstmCell(int units, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null, bool unitForgetBias = true,
        Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null,
        double dropout = 0, double recurrentDropout = 0, long? seed = null)
        : base(units, 4, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, kernelRegularizer, recurrentRegularizer,
            biasRegularizer, dropout, recurrentDropout, seed)
    {
        RecurrentActivation = recurrentActivation ?? ActivationFunction.Sigmoid;
        UnitForgetBias = unitForgetBias;
        StateSizes = [units, units];
    }

    /// <summary>The gates' activation (sigmoid unless given).</summary>
    public ActivationFunction RecurrentActivation { get; }

    /// <summary>Whether the forget gate's bias starts at one.</summary>
    public bool UnitForgetBias { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes { get; }

    /// <inheritdoc/>
    public override int OutputSize => Units;

    /// <inheritdoc/>
    public override string TypeName => "LSTMCell";

    /// <inheritdoc/>
    private protected override Initializer EffectiveBiasInitializer => UnitForgetBias ? new Lstm.ForgetGateOnes(BiasInitializer, Units) : BiasInitializer;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("recurrent_activation", RecurrentActivation)
        .Set("unit_forget_bias", UnitForgetBias);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static LstmCell FromConfig(Config config)
    {
        int units = config.GetInt32("units", minimum: 1);
        Config d = config.WithDefaults(new LstmCell(units).GetConfig());
        return new(units, d.GetActivation("activation"), d.GetActivation("recurrent_activation"), d.GetBoolean("use_bias"), d.GetInitializer("kernel_initializer"),
            d.GetInitializer("recurrent_initializer"), d.GetInitializer("bias_initializer"), d.GetBoolean("unit_forget_bias"), d.GetRegularizer("kernel_regularizer"),
            d.GetRegularizer("recurrent_regularizer"), d.GetRegularizer("bias_regularizer"), d.GetDouble("dropout"), d.GetDouble("recurrent_dropout"), d.GetNullableInt64("seed"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            RecurrentConstraint = d.GetConstraint("recurrent_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
        };
    }

    /// <inheritdoc/>
    private protected override void PrepareSteps(int batch, int steps)
    {
        Cache(ref _preActivations, steps, batch, Width);
        Cache(ref _gates, steps, batch, Width);
        Cache(ref _cellActivations, steps, batch, Units);
        Cache(ref _dh, 1, batch, Units);
        Cache(ref _da, 1, 1, Width);
        Cache(ref _dz, 1, batch, Width);
    }

    /// <inheritdoc/>
    public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates)
    {
        int u = Units, w = Width;
        Span<float> z = StepBlock(_preActivations, step, batch, w), a = StepBlock(_gates, step, batch, w), tc = StepBlock(_cellActivations, step, batch, u);
        Projections.InputProduct(batch, input, z);
        Projections.RecurrentProduct(batch, Projections.DroppedState(batch, State(states, batch, 0)), 0, w, 1f, z, w);
        ReadOnlySpan<float> previousCell = State(states, batch, 1);
        Span<float> h = State(newStates, batch, 0), c = State(newStates, batch, 1);
        for (int b = 0; b < batch; b++)
        {
            LstmGates.Activate(z.Slice(b * w, w), a.Slice(b * w, w), u, Activation, RecurrentActivation);
            LstmGates.Combine(a.Slice(b * w, w), previousCell.Slice(b * u, u), c.Slice(b * u, u), tc.Slice(b * u, u), h.Slice(b * u, u), u, Activation);
        }

        h.CopyTo(output);
    }

    /// <inheritdoc/>
    public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients)
    {
        int u = Units, w = Width, n = batch * u;
        ReadOnlySpan<float> z = StepBlock(_preActivations, step, batch, w), a = StepBlock(_gates, step, batch, w), tc = StepBlock(_cellActivations, step, batch, u);
        ReadOnlySpan<float> previousCell = State(states, batch, 1), c = State(newStates, batch, 1);
        Span<float> dh = _dh.AsSpan(0, n), dz = _dz.AsSpan(0, batch * w), da = _da.AsSpan(0, w);
        Span<float> dc = State(stateGradients, batch, 1);
        System.Numerics.Tensors.TensorPrimitives.Add(outputGradient[..n], State(newStateGradients, batch, 0), dh);
        State(newStateGradients, batch, 1).CopyTo(dc);
        for (int b = 0; b < batch; b++)
        {
            LstmGates.Backward(z.Slice(b * w, w), a.Slice(b * w, w), c.Slice(b * u, u), tc.Slice(b * u, u), previousCell.Slice(b * u, u),
                dh.Slice(b * u, u), dc.Slice(b * u, u), da, dz.Slice(b * w, w), u, Activation, RecurrentActivation);
        }

        Projections.InputBackward(batch, input, dz, inputGradient);
        Span<float> dPrevious = State(stateGradients, batch, 0);
        dPrevious.Clear();
        Projections.RecurrentBackward(batch, Projections.DroppedState(batch, State(states, batch, 0)), dz, w, 0, w, dPrevious, throughMask: true);
    }
}
