using System.Numerics;
using System.Runtime.CompilerServices;

using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Adadelta</c> (Zeiler, 2012): moving averages of squared gradients and of squared updates set each
/// element's step, so the learning rate only scales it (1.0 gives the paper's form).
/// </summary>
/// <remarks>
/// <c>a = ρ·a + (1 − ρ)·g²</c>; <c>Δ = −√(d + ε)·g / √(a + ε)</c>; <c>d = ρ·d + (1 − ρ)·Δ²</c>; <c>w += lr·Δ</c>.
/// State: <c>accumulated_grad</c> (a) and <c>accumulated_delta_var</c> (d).
/// </remarks>
public sealed class Adadelta : Optimizer
{
    private static readonly string[] s_slots = ["accumulated_grad", "accumulated_delta_var"];

    // 1 − ρ computed in float64 from ρ as written (see AsWritten), as Keras computes it in Python.
    private readonly float _oneMinusRho;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">Scales every step; non-negative and finite. Keras default 0.001 (the paper's form is 1.0).</param>
    /// <param name="rho">The decay of both moving averages, in [0, 1]. Keras checks nothing; 1 is well defined (both
    /// averages stay at 0, so the step is −lr·g, plain SGD); outside [0, 1] an average can turn negative and Keras'
    /// step is NaN.</param>
    /// <param name="epsilon">Added under both roots; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Adadelta(double learningRate = 0.001, double rho = 0.95, double epsilon = 1e-7)
        : base(learningRate)
    {
        Rho = ValidateUnitInterval(rho, nameof(rho), inclusiveOne: true);
        Epsilon = ValidateNonNegative(epsilon, nameof(epsilon));
        _oneMinusRho = (float)(1.0 - AsWritten(rho));
    }

    /// <inheritdoc/>
    public override string Name => "adadelta";

    /// <summary>The decay of the moving averages of squared gradients and squared updates, as float32 (the value given, rounded to float32).</summary>
    public float Rho { get; }

    /// <summary>Added under both roots, as float32 (the value given, rounded to float32).</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), slots[1].AsSpan(), new Rule(StepLearningRate, Rho, _oneMinusRho, Epsilon));

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("rho", Rho).Set("epsilon", Epsilon);

    // Slots: accumulated_grad, accumulated_delta_var (both flushed to 0 below the smallest normal float); Keras' order of operations.
    private readonly struct Rule(float lr, float rho, float oneMinusRho, float epsilon) : IElementwiseUpdate
    {
        private readonly Vector<float> _lr = new(lr), _rho = new(rho), _oneMinusRho = new(oneMinusRho), _epsilon = new(epsilon);

        public static int SlotCount => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> gradients, ref Vector<float> deltas, ref Vector<float> slot2)
        {
            Vector<float> a = ElementwiseUpdate.FlushToZero((_rho * gradients) + (_oneMinusRho * (input * input)));
            Vector<float> delta = -((Vector.SquareRoot(deltas + _epsilon) * input) / Vector.SquareRoot(a + _epsilon));
            gradients = a;
            deltas = ElementwiseUpdate.FlushToZero((_rho * deltas) + (_oneMinusRho * (delta * delta)));
            return value + (_lr * delta);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float gradients, ref float deltas, ref float slot2)
        {
            float a = ElementwiseUpdate.FlushToZero((rho * gradients) + (oneMinusRho * (input * input)));
            float delta = -((MathF.Sqrt(deltas + epsilon) * input) / MathF.Sqrt(a + epsilon));
            gradients = a;
            deltas = ElementwiseUpdate.FlushToZero((rho * deltas) + (oneMinusRho * (delta * delta)));
            return value + (lr * delta);
        }
    }
}
