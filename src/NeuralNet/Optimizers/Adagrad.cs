using System.Numerics;
using System.Runtime.CompilerServices;

using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Adagrad</c>: a per-element accumulator starting at <see cref="InitialAccumulatorValue"/> adds g², and
/// w −= learningRate · g / √(accumulator + ε).
/// </summary>
public sealed class Adagrad : Optimizer
{
    private static readonly string[] s_slots = ["accumulator"];

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative and finite.</param>
    /// <param name="initialAccumulatorValue">The accumulator's starting value; non-negative.</param>
    /// <param name="epsilon">Added under the root; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Adagrad(double learningRate = 0.001, double initialAccumulatorValue = 0.1, double epsilon = 1e-7)
        : base(learningRate)
    {
        InitialAccumulatorValue = ValidateNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        Epsilon = ValidateNonNegative(epsilon, nameof(epsilon));
    }

    /// <inheritdoc/>
    public override string Name => "adagrad";

    /// <summary>The accumulator's starting value, as float32 (the value given, rounded to float32).</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>Added under the root, as float32 (the value given, rounded to float32).</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    private protected override float SlotInitialValue(int slot) => InitialAccumulatorValue;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), new Rule(StepLearningRate, Epsilon));

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("initial_accumulator_value", InitialAccumulatorValue).Set("epsilon", Epsilon);

    // Slots: accumulator. a += g²; w −= lr·g / √(a + ε).
    private readonly struct Rule(float lr, float epsilon) : IElementwiseUpdate
    {
        private readonly Vector<float> _lr = new(lr), _epsilon = new(epsilon);

        public static int SlotCount => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> accumulator, ref Vector<float> slot1, ref Vector<float> slot2)
        {
            Vector<float> a = accumulator + (input * input);
            accumulator = a;
            return value - ((_lr * input) / Vector.SquareRoot(a + _epsilon));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float accumulator, ref float slot1, ref float slot2)
        {
            float a = accumulator + (input * input);
            accumulator = a;
            return value - ((lr * input) / MathF.Sqrt(a + epsilon));
        }
    }
}
