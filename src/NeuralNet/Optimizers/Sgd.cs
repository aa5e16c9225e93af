using System.Numerics;
using System.Runtime.CompilerServices;

using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Stochastic gradient descent, optionally with (Nesterov) momentum, as Keras 3's <c>SGD</c>.
/// </summary>
/// <remarks>
/// Without momentum: <c>w -= lr * g</c>. With momentum: <c>v = momentum * v - lr * g; w += v</c>;
/// with Nesterov: <c>v = momentum * v - lr * g; w += momentum * v - lr * g</c>. State: <c>momentum</c> (only when momentum &gt; 0).
/// </remarks>
public sealed class Sgd : Optimizer
{
    private static readonly string[] s_momentumSlots = ["momentum"];

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative. Keras default 0.01.</param>
    /// <param name="momentum">The momentum in [0, 1]; 0 is plain gradient descent.</param>
    /// <param name="nesterov">Whether to apply Nesterov momentum.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is outside its range; the message names it.</exception>
    public Sgd(double learningRate = 0.01, double momentum = 0, bool nesterov = false)
        : base(learningRate)
    {
        Momentum = ValidateUnitInterval(momentum, nameof(momentum), inclusiveOne: true);
        Nesterov = nesterov;
    }

    /// <inheritdoc/>
    public override string Name => "sgd";

    /// <summary>The momentum coefficient, as float32 (the value given, rounded to float32).</summary>
    public float Momentum { get; }

    /// <summary>Whether Nesterov momentum is applied.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => Momentum != 0f ? s_momentumSlots : [];

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        float lr = StepLearningRate;
        if (Momentum == 0f)
        {
            ElementwiseUpdate.Run(values, gradient, new PlainRule(lr));
        }
        else if (Nesterov)
        {
            ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), new NesterovRule(lr, Momentum));
        }
        else
        {
            ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), new MomentumRule(lr, Momentum));
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("momentum", Momentum).Set("nesterov", Nesterov);

    // w −= lr·g.
    private readonly struct PlainRule(float lr) : IElementwiseUpdate
    {
        private readonly Vector<float> _lr = new(lr);

        public static int SlotCount => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> slot0, ref Vector<float> slot1, ref Vector<float> slot2) =>
            value - (input * _lr);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float slot0, ref float slot1, ref float slot2) => value - (input * lr);
    }

    // v = μ·v − lr·g (flushed to 0 below the smallest normal float); w += v.
    private readonly struct MomentumRule(float lr, float mu) : IElementwiseUpdate
    {
        private readonly Vector<float> _lr = new(lr), _mu = new(mu);

        public static int SlotCount => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> velocity, ref Vector<float> slot1, ref Vector<float> slot2)
        {
            velocity = ElementwiseUpdate.FlushToZero((velocity * _mu) - (input * _lr));
            return value + velocity;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float velocity, ref float slot1, ref float slot2)
        {
            velocity = ElementwiseUpdate.FlushToZero((velocity * mu) - (input * lr));
            return value + velocity;
        }
    }

    // v = μ·v − lr·g (flushed to 0 below the smallest normal float); w += μ·v − lr·g.
    private readonly struct NesterovRule(float lr, float mu) : IElementwiseUpdate
    {
        private readonly Vector<float> _lr = new(lr), _mu = new(mu);

        public static int SlotCount => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> velocity, ref Vector<float> slot1, ref Vector<float> slot2)
        {
            Vector<float> scaledGradient = input * _lr;
            Vector<float> v = ElementwiseUpdate.FlushToZero((velocity * _mu) - scaledGradient);
            velocity = v;
            return value + ((v * _mu) - scaledGradient);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float velocity, ref float slot1, ref float slot2)
        {
            float scaledGradient = input * lr;
            float v = ElementwiseUpdate.FlushToZero((velocity * mu) - scaledGradient);
            velocity = v;
            return value + ((v * mu) - scaledGradient);
        }
    }
}
