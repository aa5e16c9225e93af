using System.Numerics;
using System.Runtime.CompilerServices;

using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Lion</c> (Chen et al., 2023, "evolved sign momentum"): every element moves by exactly the learning rate, in
/// the direction of the sign of an interpolation between the momentum and the gradient. Only one slot per parameter.
/// A suitable learning rate is typically 3-10x smaller than AdamW's, and weight decay 3-10x larger.
/// </summary>
/// <remarks>
/// <c>w −= lr·sign(β1·m + (1 − β1)·g)</c>, then <c>m = β2·m + (1 − β2)·g</c>. State: <c>momentum</c> (m).
/// </remarks>
public sealed class Lion : Optimizer
{
    private static readonly string[] s_slots = ["momentum"];

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The size of every element's step; non-negative and finite.</param>
    /// <param name="beta1">The weight of the momentum in the update's direction, in (0, 1] (0 would be sign SGD).</param>
    /// <param name="beta2">The decay of the momentum, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Lion(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.99)
        : base(learningRate)
    {
        // Checked as float32, the value used: 1e-50 would be 0.
        if (!((float)beta1 > 0f && (float)beta1 <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), beta1, $"beta1 must be in (0, 1]; 0 makes Lion sign SGD. Received: beta1={Float32Hyperparameter.Format(beta1)}.");
        }

        Beta1 = (float)beta1;
        Beta2 = ValidateUnitInterval(beta2, nameof(beta2), inclusiveOne: true);
    }

    /// <inheritdoc/>
    public override string Name => "lion";

    /// <summary>The weight of the momentum in the update's direction, as float32 (the value given, rounded to float32).</summary>
    public float Beta1 { get; }

    /// <summary>The decay of the momentum, as float32 (the value given, rounded to float32).</summary>
    public float Beta2 { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), new Rule(StepLearningRate, Beta1, Beta2));

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("beta_1", Beta1).Set("beta_2", Beta2);

    // Slots: momentum (flushed to 0 below the smallest normal float). Keras casts β to float32 before taking 1 − β, so the complements are float32 differences here
    // (unlike Adam's, which Keras takes in float64).
    private readonly struct Rule(float lr, float beta1, float beta2) : IElementwiseUpdate
    {
        private readonly float _oneMinusBeta1 = 1f - beta1, _oneMinusBeta2 = 1f - beta2;
        private readonly Vector<float> _lr = new(lr), _beta1 = new(beta1), _beta2 = new(beta2);
        private readonly Vector<float> _vOneMinusBeta1 = new(1f - beta1), _vOneMinusBeta2 = new(1f - beta2);

        public static int SlotCount => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> momentum, ref Vector<float> slot1, ref Vector<float> slot2)
        {
            Vector<float> m = momentum;
            Vector<float> direction = Sign((m * _beta1) + (input * _vOneMinusBeta1));
            momentum = ElementwiseUpdate.FlushToZero((m * _beta2) + (input * _vOneMinusBeta2));
            return value - (_lr * direction);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float momentum, ref float slot1, ref float slot2)
        {
            float m = momentum;
            float direction = Sign((m * beta1) + (input * _oneMinusBeta1));
            momentum = ElementwiseUpdate.FlushToZero((m * beta2) + (input * _oneMinusBeta2));
            return value - (lr * direction);
        }

        // Keras' sign: 1, −1, or x·0 for a zero (0) or NaN (NaN, which then reaches the weight as Keras lets it).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector<float> Sign(Vector<float> x) =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), Vector<float>.One,
                Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -Vector<float>.One, x * Vector<float>.Zero));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Sign(float x) => x > 0f ? 1f : x < 0f ? -1f : x * 0f;
    }
}
