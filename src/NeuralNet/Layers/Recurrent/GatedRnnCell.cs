using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The settings and weights the built-in cells share (<see cref="SimpleRnnCell"/>, <see cref="LstmCell"/>,
/// <see cref="GruCell"/>), as Keras' cells take them: kernel (features, gates·units), recurrent_kernel (units, gates·units)
/// and bias, with the same names, layouts and defaults as the <see cref="SimpleRnn"/>, <see cref="Lstm"/> and
/// <see cref="Gru"/> layers, so weights move between a layer and <c>Rnn</c> over its cell one to one.
/// </summary>
public abstract class GatedRnnCell : RnnCell
{
    private CellProjections? _projections;
    private SeededRandom? _ownRandom;

    private protected GatedRnnCell(int units, int gates, ActivationFunction? activation, bool useBias, Initializer? kernelInitializer,
        Initializer? recurrentInitializer, Initializer? biasInitializer, Regularizer? kernelRegularizer, Regularizer? recurrentRegularizer,
        Regularizer? biasRegularizer, double dropout, double recurrentDropout, long? seed)
    {
        if (units <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(units), units, $"{GetType().Name} expects a positive number of units but got units={units}.");
        }

        Units = units;
        Gates = gates;
        Activation = activation ?? ActivationFunction.Tanh;
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        RecurrentInitializer = recurrentInitializer ?? new Orthogonal();
        BiasInitializer = biasInitializer ?? new Zeros();
        KernelRegularizer = kernelRegularizer;
        RecurrentRegularizer = recurrentRegularizer;
        BiasRegularizer = biasRegularizer;
        Dropout = dropout is >= 0 and < 1 ? dropout
            : throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{GetType().Name}'s dropout is a fraction in [0, 1).");
        RecurrentDropout = recurrentDropout is >= 0 and < 1 ? recurrentDropout
            : throw new ArgumentOutOfRangeException(nameof(recurrentDropout), recurrentDropout, $"{GetType().Name}'s recurrentDropout is a fraction in [0, 1).");
        Seed = seed;
        StateSizes = [units];
    }

    /// <summary>The size of the state and of the output.</summary>
    public int Units { get; }

    /// <summary>The activation of the candidate state and the output (tanh unless given).</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether the cell has a bias.</summary>
    public bool UseBias { get; }

    /// <summary>Initializes the kernel (glorot_uniform unless given).</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>Initializes the recurrent kernel (orthogonal unless given).</summary>
    public Initializer RecurrentInitializer { get; }

    /// <summary>Initializes the bias (zeros unless given).</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel's penalty, if any.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The recurrent kernel's penalty, if any.</summary>
    public Regularizer? RecurrentRegularizer { get; }

    /// <summary>The bias' penalty, if any.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>The kernel's constraint (Keras' <c>kernel_constraint</c>), or null.</summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The recurrent kernel's constraint (Keras' <c>recurrent_constraint</c>), or null.</summary>
    public Constraint? RecurrentConstraint { get; init; }

    /// <summary>The bias' constraint (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>
    /// Keras' <c>dropout</c>: the fraction of the input features dropped in training, one mask per sample drawn once per
    /// sequence and kept for every step, the same for all gates. That is Keras 3's cell when <c>recurrent_dropout</c> is 0
    /// (implementation 2); with <c>recurrent_dropout</c> set, Keras' cell switches to implementation 1 and draws
    /// <c>dropout_mask_count</c> (4 for LSTM, 3 for GRU) independent masks, one per gate, which this cell does not.
    /// </summary>
    public double Dropout { get; }

    /// <summary>
    /// Keras' <c>recurrent_dropout</c>: the fraction of the previous state's units dropped in training before its products
    /// with the recurrent kernel, one mask per sample drawn once per sequence and used for all gates. The carried state
    /// itself is not dropped. Keras 3's cell with <c>recurrent_dropout</c> set runs implementation 1: it draws one mask per
    /// gate for the state (and one per gate for the input, see <see cref="Dropout"/>), each (batch, units), from the
    /// cell's seed generator, cached for the sequence (DropoutRNNCell with <c>dropout_mask_count</c>); the
    /// <see cref="Lstm"/> and <see cref="Gru"/> layers draw one state mask per gate too. So in training with
    /// <c>recurrent_dropout</c> this cell drops differently from both (the same in expectation); without dropout, or in
    /// inference, it computes exactly what they compute.
    /// </summary>
    public double RecurrentDropout { get; }

    /// <summary>The seed of the dropout masks (Keras' <c>seed</c>); null to draw them from the model's seed.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes { get; }

    /// <summary>The kernel (features, gates·units), once built.</summary>
    public Parameter Kernel => _projections?.Kernel ?? throw new InvalidOperationException($"{TypeName} has no kernel until it is built.");

    /// <summary>The recurrent kernel (units, gates·units), once built.</summary>
    public Parameter RecurrentKernel => _projections?.RecurrentKernel ?? throw new InvalidOperationException($"{TypeName} has no recurrent kernel until it is built.");

    /// <summary>The bias, once built, or null without one.</summary>
    public Parameter? Bias => _projections?.Bias;

    /// <summary>The number of gate blocks: 1 (SimpleRNN), 3 (GRU), 4 (LSTM).</summary>
    private protected int Gates { get; }

    /// <summary>gates·units.</summary>
    private protected int Width => Gates * Units;

    /// <summary>The products and dropout of the current build (a copy of the cell gets its own in <see cref="OnBuild"/>).</summary>
    private protected CellProjections Projections => _projections!;

    /// <summary>The recurrent dropout mask the last <see cref="Prepare"/> drew, (batch, units); empty when none (for tests).</summary>
    internal ReadOnlySpan<float> StateDropoutMask => Projections.StateMask;

    /// <summary>The bias' shape: (gates·units) unless the cell keeps a recurrent bias too.</summary>
    private protected virtual TensorShape BiasShape => new(Width);

    /// <summary>The bias initializer as the cell applies it (LSTM's unit forget bias).</summary>
    private protected virtual Initializer EffectiveBiasInitializer => BiasInitializer;

    /// <inheritdoc/>
    internal override long? DropoutSeed => Seed;

    /// <inheritdoc/>
    protected override void OnBuild(int inputSize)
    {
        _projections = new CellProjections(Units, Gates, Dropout, RecurrentDropout);
        Parameter kernel = AddWeight("kernel", new TensorShape(inputSize, Width), KernelInitializer, KernelRegularizer, KernelConstraint);
        Parameter recurrentKernel = AddWeight("recurrent_kernel", new TensorShape(Units, Width), RecurrentInitializer, RecurrentRegularizer, RecurrentConstraint);
        Parameter? bias = UseBias ? AddWeight("bias", BiasShape, EffectiveBiasInitializer, BiasRegularizer, BiasConstraint) : null;
        Projections.Bind(kernel, recurrentKernel, bias);
    }

    /// <inheritdoc/>
    public override void Prepare(int batch, int steps, bool training)
    {
        // Outside a layer the cell keeps one generator, so successive passes draw new masks.
        Projections.Prepare(batch, training, Random ?? (_ownRandom ??= new SeededRandom(Seed ?? 0)));
        PrepareSteps(batch, steps);
    }

    /// <summary>Sizes the per-step caches for <paramref name="steps"/> steps of <paramref name="batch"/> samples.</summary>
    private protected abstract void PrepareSteps(int batch, int steps);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("units", Units)
        .Set("activation", Activation)
        .Set("use_bias", UseBias)
        .Set("kernel_initializer", KernelInitializer)
        .Set("recurrent_initializer", RecurrentInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("kernel_regularizer", KernelRegularizer)
        .Set("recurrent_regularizer", RecurrentRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("kernel_constraint", KernelConstraint)
        .Set("recurrent_constraint", RecurrentConstraint)
        .Set("bias_constraint", BiasConstraint)
        .Set("dropout", Dropout)
        .Set("recurrent_dropout", RecurrentDropout)
        .Set("seed", Seed);

    /// <summary>A (steps·batch·<paramref name="width"/>) cache, grown only when a longer or wider pass arrives.</summary>
    private protected static Span<float> Cache(ref float[] buffer, int steps, int batch, int width)
    {
        CellProjections.Grow(ref buffer, steps * batch * width);
        return buffer.AsSpan(0, steps * batch * width);
    }

    /// <summary>Step <paramref name="step"/>'s (batch, <paramref name="width"/>) block of a cache.</summary>
    private protected static Span<float> StepBlock(float[] buffer, int step, int batch, int width) => buffer.AsSpan(step * batch * width, batch * width);
}
