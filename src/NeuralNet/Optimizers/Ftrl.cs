using System.Numerics;
using System.Runtime.CompilerServices;

using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Ftrl</c> ("Follow The Regularized Leader", McMahan et al., 2013), for shallow models with large sparse
/// feature spaces: each weight is solved for in closed form from a linear term and a per-element accumulator, with
/// online L1 and L2 regularization and an optional shrinkage-type L2 penalty.
/// </summary>
/// <remarks>
/// With p = −learningRatePower, λ2 = l2 + β / (2·lr) and g' = g + 2·l2Shrinkage·w:
/// <c>n' = n + g²</c>; <c>z += g' − (n'^p − n^p) / lr · w</c>; <c>w = (clip(z, −l1, l1) − z) / (n'^p / lr + 2·λ2)</c>;
/// <c>n = n'</c>. State: <c>accumulator</c> (n, starting at <see cref="InitialAccumulatorValue"/>) and <c>linear</c> (z).
/// A step with a learning rate of 0 (a schedule that decays to 0) changes neither the weights nor the state: Keras' rule
/// divides by the rate and gives NaN weights there.
/// </remarks>
public sealed class Ftrl : Optimizer
{
    private static readonly string[] s_slots = ["accumulator", "linear"];

    // The rule of the current step; null when its rate is 0 (the step changes nothing).
    private Rule? _rule;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative and finite.</param>
    /// <param name="learningRatePower">How the per-element rate decays with the accumulated squared gradient; zero or negative (0 for a fixed rate).</param>
    /// <param name="initialAccumulatorValue">The accumulator's starting value; non-negative.</param>
    /// <param name="l1RegularizationStrength">The online L1 strength; non-negative.</param>
    /// <param name="l2RegularizationStrength">The online (stabilization) L2 strength; non-negative.</param>
    /// <param name="l2ShrinkageRegularizationStrength">The shrinkage-type (magnitude) L2 strength, added to the gradient; non-negative.</param>
    /// <param name="beta">The paper's β, added to the L2 strength as β / (2·learningRate); non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Ftrl(
        double learningRate = 0.001,
        double learningRatePower = -0.5,
        double initialAccumulatorValue = 0.1,
        double l1RegularizationStrength = 0,
        double l2RegularizationStrength = 0,
        double l2ShrinkageRegularizationStrength = 0,
        double beta = 0)
        : base(learningRate)
    {
        if (!((float)learningRatePower <= 0f) || float.IsInfinity((float)learningRatePower))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRatePower), learningRatePower, $"learningRatePower must be zero or a negative finite number (as float32). Received: learningRatePower={Float32Hyperparameter.Format(learningRatePower)}.");
        }

        LearningRatePower = (float)learningRatePower;
        InitialAccumulatorValue = ValidateNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        L1RegularizationStrength = ValidateNonNegative(l1RegularizationStrength, nameof(l1RegularizationStrength));
        L2RegularizationStrength = ValidateNonNegative(l2RegularizationStrength, nameof(l2RegularizationStrength));
        L2ShrinkageRegularizationStrength = ValidateNonNegative(l2ShrinkageRegularizationStrength, nameof(l2ShrinkageRegularizationStrength));
        Beta = ValidateNonNegative(beta, nameof(beta));
    }

    /// <inheritdoc/>
    public override string Name => "ftrl";

    /// <summary>How the per-element rate decays with the accumulated squared gradient (−0.5: as 1/√n), as float32 (the value given, rounded to float32).</summary>
    public float LearningRatePower { get; }

    /// <summary>The accumulator's starting value, as float32 (the value given, rounded to float32).</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>The online L1 regularization strength, as float32 (the value given, rounded to float32).</summary>
    public float L1RegularizationStrength { get; }

    /// <summary>The online (stabilization) L2 regularization strength, as float32 (the value given, rounded to float32).</summary>
    public float L2RegularizationStrength { get; }

    /// <summary>The shrinkage-type (magnitude) L2 regularization strength, as float32 (the value given, rounded to float32).</summary>
    public float L2ShrinkageRegularizationStrength { get; }

    /// <summary>The paper's β, as float32 (the value given, rounded to float32).</summary>
    public float Beta { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    private protected override float SlotInitialValue(int slot) => slot == 0 ? InitialAccumulatorValue : 0f;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        if (_rule is Rule rule)
        {
            ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), slots[1].AsSpan(), rule);
        }
    }

    /// <inheritdoc/>
    private protected override void BeginUpdates(long step, float learningRate)
    {
        float lr = learningRate;
        if (lr < ElementwiseUpdate.MinNormal)
        {
            // A rate of 0 (a schedule decayed to 0, a frozen phase) leaves the weights where they are, which is the limit
            // of the rule as lr → 0 (w moves by about lr·g / √n). The linear term cannot follow: it holds about −w·n^p / lr,
            // which has no finite value at lr = 0 (Keras divides by 0 and every weight turns NaN). So the step leaves the
            // accumulator and the linear term too: n alone growing would shrink w at the next step with a rate. A
            // subnormal rate is treated as 0: its reciprocal overflows float32.
            _rule = null;
            return;
        }

        // float32, in Keras' order: l2 + β / (2·lr), then doubled.
        float twoL2 = 2f * (L2RegularizationStrength + (Beta / (2f * lr)));
        _rule = new Rule(lr, -LearningRatePower, L1RegularizationStrength, twoL2, 2f * L2ShrinkageRegularizationStrength);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("learning_rate_power", LearningRatePower)
        .Set("initial_accumulator_value", InitialAccumulatorValue)
        .Set("l1_regularization_strength", L1RegularizationStrength)
        .Set("l2_regularization_strength", L2RegularizationStrength)
        .Set("l2_shrinkage_regularization_strength", L2ShrinkageRegularizationStrength)
        .Set("beta", Beta);

    // Slots: accumulator, linear. The default power 0.5 is a square root (exact, and vectorised); other powers go
    // through MathF.Pow lane by lane, so both paths give the same bits.
    private readonly struct Rule(float lr, float power, float l1, float twoL2, float twoShrinkage) : IElementwiseUpdate
    {
        private readonly bool _squareRoot = power == 0.5f;
        private readonly Vector<float> _lr = new(lr), _l1 = new(l1), _twoL2 = new(twoL2), _twoShrinkage = new(twoShrinkage);

        public static int SlotCount => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> accumulator, ref Vector<float> linear, ref Vector<float> slot2)
        {
            Vector<float> n = accumulator;
            Vector<float> nNew = n + (input * input);
            Vector<float> powerNew = Power(nNew);
            Vector<float> z = linear + ((input + (_twoShrinkage * value)) - (((powerNew - Power(n)) / _lr) * value));
            linear = z;
            accumulator = nNew;
            return (Vector.Min(Vector.Max(z, -_l1), _l1) - z) / ((powerNew / _lr) + _twoL2);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float accumulator, ref float linear, ref float slot2)
        {
            float n = accumulator;
            float nNew = n + (input * input);
            float powerNew = Power(nNew);
            float z = linear + ((input + (twoShrinkage * value)) - (((powerNew - Power(n)) / lr) * value));
            linear = z;
            accumulator = nNew;
            return (MathF.Min(MathF.Max(z, -l1), l1) - z) / ((powerNew / lr) + twoL2);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Vector<float> Power(Vector<float> x)
        {
            if (_squareRoot)
            {
                return Vector.SquareRoot(x);
            }

            Vector<float> result = default;
            ref float lanes = ref Unsafe.As<Vector<float>, float>(ref result);
            for (int k = 0; k < Vector<float>.Count; k++)
            {
                Unsafe.Add(ref lanes, k) = MathF.Pow(x[k], power);
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private float Power(float x) => _squareRoot ? MathF.Sqrt(x) : MathF.Pow(x, power);
    }
}
