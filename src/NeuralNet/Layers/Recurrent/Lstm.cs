using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Long short-term memory (Keras' <c>LSTM</c>): per step, z = x·W + h·U + b split into gate blocks i, f, c, o (Keras' order);
/// i = σ(z_i), f = σ(z_f), o = σ(z_o) with the recurrent activation σ, c = f·c + i·act(z_c), h = o·act(c).
/// </summary>
/// <remarks>
/// Weights as Keras lays them out: kernel (features, 4·units), recurrent_kernel (units, 4·units), bias (4·units). With
/// <see cref="UnitForgetBias"/> (the default) the forget gate's bias starts at one and the others at the bias initializer's
/// values, as Keras does. Activation tanh and recurrent activation sigmoid (the exact logistic) unless given.
/// </remarks>
/// <example><c>model.Add(new Lstm(128, returnSequences: true));</c></example>
public sealed class Lstm : Recurrent
{
    private Tensor? _gates;
    private Tensor? _cells;
    private Tensor? _cellActivations;
    private Tensor? _gateGradients;
    private Tensor? _carriedCell;
    private Tensor? _initialCell;
    private Tensor? _lastCell;
    private Tensor? _lastCellView;
    private Tensor? _initialCellGradient;

    /// <summary>Creates an LSTM layer.</summary>
    /// <param name="units">The size of the state and of the output.</param>
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
    /// <param name="returnSequences">Whether to return every step's state (batch, timesteps, units) rather than the last.</param>
    /// <param name="goBackwards">Whether to run from the last time step to the first.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>lstm</c>, <c>lstm_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is below 1.</exception>
    public Lstm(int units, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null,
        bool unitForgetBias = true, Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null,
        Regularizer? biasRegularizer = null, bool returnSequences = false, bool goBackwards = false, string? name = null)
        : base(units, 4, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, kernelRegularizer,
            recurrentRegularizer, biasRegularizer, returnSequences, goBackwards, name)
    {
        RecurrentActivation = recurrentActivation ?? ActivationFunction.Sigmoid;
        UnitForgetBias = unitForgetBias;
    }

    /// <summary>The gates' activation (sigmoid unless given).</summary>
    public ActivationFunction RecurrentActivation { get; }

    /// <summary>Whether the forget gate's bias starts at one.</summary>
    public bool UnitForgetBias { get; }

    /// <inheritdoc/>
    public override string TypeName => "LSTM";

    /// <inheritdoc/>
    public override int StateCount => 2;

    /// <inheritdoc/>
    private protected override Tensor LastCellState => _lastCellView!;

    /// <inheritdoc/>
    private protected override void SetInitialCellState(Tensor? cell) => _initialCell = cell;

    /// <inheritdoc/>
    private protected override void WriteInitialCellGradient(int batch, Span<Tensor?> gradients)
    {
        // After the first step's reverse, the carried cell gradient is the initial cell state's.
        Tensor dc = Scratch(ref _initialCellGradient, batch, UnitsShape);
        _carriedCell!.AsReadOnlySpan()[..(batch * Units)].CopyTo(dc.AsSpan());
        gradients[0] = dc;
    }

    // Sample b's cell state before step s: the cells' row s − 1, else the initial cell state or zeros.
    private ReadOnlySpan<float> PreviousCell(int b, int steps, int s) => s > 0
        ? _cells!.AsReadOnlySpan().Slice((((b * steps) + s) - 1) * Units, Units)
        : _initialCell is not null ? _initialCell.AsReadOnlySpan().Slice(b * Units, Units) : ZeroState;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "lstm";

    /// <inheritdoc/>
    private protected override Initializer EffectiveBiasInitializer => UnitForgetBias ? new ForgetGateOnes(BiasInitializer, Units) : BiasInitializer;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("recurrent_activation", RecurrentActivation)
        .Set("unit_forget_bias", UnitForgetBias);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Lstm FromConfig(Config config)
    {
        int units = config.GetInt32("units", minimum: 1);
        Config d = config.WithDefaults(new Lstm(units).GetConfig());
        return new(units, d.GetActivation("activation"), d.GetActivation("recurrent_activation"), d.GetBoolean("use_bias"),
            d.GetInitializer("kernel_initializer"), d.GetInitializer("recurrent_initializer"), d.GetInitializer("bias_initializer"),
            d.GetBoolean("unit_forget_bias"), d.GetRegularizer("kernel_regularizer"), d.GetRegularizer("recurrent_regularizer"),
            d.GetRegularizer("bias_regularizer"), d.GetBoolean("return_sequences"), d.GetBoolean("go_backwards"), config.GetString("name"))
        {
            ZeroOutputForMask = d.GetBoolean("zero_output_for_mask"),
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            RecurrentConstraint = d.GetConstraint("recurrent_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
            Dropout = d.GetDouble("dropout"),
            DropoutSeed = d.GetNullableInt64("seed"),
            ReturnState = d.GetBoolean("return_state"),
            RecurrentDropout = d.GetDouble("recurrent_dropout"),
            Stateful = d.GetBoolean("stateful"),
        };
    }

    /// <inheritdoc/>
    private protected override void PrepareSteps(int batch, int steps)
    {
        Scratch(ref _gates, batch, StepsByWidth);
        Scratch(ref _cells, batch, StepsByUnits);
        Scratch(ref _cellActivations, batch, StepsByUnits);
    }

    /// <inheritdoc/>
    private protected override void ForwardStep(int batch, int steps, int s, int t, Span<float> projected, Span<float> states)
    {
        int u = Units, w = Width;
        if (HasPrevious(s))
        {
            AddRecurrentProduct(batch, steps, s, 0, w, 1f, projected[(t * w)..], steps * w);
        }

        Span<float> gates = _gates!.AsSpan(), cells = _cells!.AsSpan(), cellActivations = _cellActivations!.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            Span<float> z = projected.Slice(((b * steps) + t) * w, w);
            Span<float> a = gates.Slice(((b * steps) + t) * w, w);
            LstmGates.Activate(z, a, u, Activation, RecurrentActivation);
            if (Masked(b, steps, t))
            {
                CarryState(cells, b, steps, s, u, PreviousCell(b, steps, 0));
                CarryState(states, b, steps, s, u, PreviousState(b, steps, 0));
                continue;
            }

            int row = ((b * steps) + s) * u;
            LstmGates.Combine(a, PreviousCell(b, steps, s), cells.Slice(row, u), cellActivations.Slice(row, u), states.Slice(row, u), u, Activation);
        }
    }

    /// <inheritdoc/>
    private protected override void CopyFinalCellState(int batch, int steps, Span<float> destination) =>
        CopyLastStep(_cells!.AsReadOnlySpan(), destination, batch, steps);

    /// <inheritdoc/>
    private protected override void FinishForward(int batch, int steps)
    {
        if (ReturnState)
        {
            _lastCellView = Scratch(ref _lastCell, batch, UnitsShape);
            CopyLastStep(_cells!.AsReadOnlySpan(), _lastCellView.AsSpan(), batch, steps);
        }
    }

    /// <inheritdoc/>
    private protected override void BackwardStep(int batch, int steps, int s, int t, ReadOnlySpan<float> stateGradients, Span<float> projectedGradients)
    {
        int u = Units, w = Width;
        Span<float> dh = CarriedStateGradient(batch);
        Span<float> dcCarry = Scratch(ref _carriedCell, batch, UnitsShape).AsSpan();
        Span<float> da = Scratch(ref _gateGradients, batch, WidthShape).AsSpan();
        if (s == steps - 1)
        {
            dh.Clear();

            // The last cell state's own gradient, when it is an output (returnState), starts the carried one.
            if (FinalCellGradient.IsEmpty)
            {
                dcCarry.Clear();
            }
            else
            {
                FinalCellGradient.CopyTo(dcCarry);
            }
        }

        ReadOnlySpan<float> projected = ProjectedValues, gates = _gates!.AsReadOnlySpan(), cells = _cells!.AsReadOnlySpan(), cellActivations = _cellActivations!.AsReadOnlySpan();
        for (int b = 0; b < batch; b++)
        {
            int row = ((b * steps) + s) * u, gateRow = ((b * steps) + t) * w;
            ReadOnlySpan<float> a = gates.Slice(gateRow, w), z = projected.Slice(gateRow, w);
            ReadOnlySpan<float> c = cells.Slice(row, u), tc = cellActivations.Slice(row, u);
            Span<float> dhRow = dh.Slice(b * u, u), dcRow = dcCarry.Slice(b * u, u), daRow = da.Slice(b * w, w);
            ReadOnlySpan<float> previousCell = PreviousCell(b, steps, s);
            if (Masked(b, steps, t))
            {
                // A masked step passed h and c through: their gradients go on to the previous step unchanged.
                for (int j = 0; j < u; j++)
                {
                    dhRow[j] += stateGradients[row + j];
                }

                projectedGradients.Slice(gateRow, w).Clear();
                continue;
            }

            for (int j = 0; j < u; j++)
            {
                dhRow[j] += stateGradients[row + j];
            }

            LstmGates.Backward(z, a, c, tc, previousCell, dhRow, dcRow, daRow, projectedGradients.Slice(gateRow, w), u, Activation, RecurrentActivation);
        }

        if (HasPrevious(s))
        {
            ReadOnlySpan<float> dzStep = projectedGradients[(t * w)..];
            AccumulatePreviousStateGradient(batch, steps, s, dzStep, steps * w, 0, w);
            RecurrentInputGradientKeepingMasked(batch, steps, t, dzStep, steps * w, w, dh);
        }
    }

    // Keras' unit_forget_bias: [initializer(units), ones(units), initializer(2·units)]; ConvLSTM's cell uses it too.
    internal sealed class ForgetGateOnes(Initializer inner, int units) : Initializer
    {
        public override string Name => inner.Name;

        // The pieces the inner initializer fills are vectors, so its shape check (IdentityInitializer's 2-D only) sees those.
        public override void ValidateShape(TensorShape shape) => inner.ValidateShape(new TensorShape(units));

        public override void Initialize(Span<float> values, TensorShape shape, long seed)
        {
            inner.Initialize(values[..units], new TensorShape(units), seed);
            values.Slice(units, units).Fill(1f);
            inner.Initialize(values[(2 * units)..], new TensorShape(2 * units), seed);
        }
    }
}
