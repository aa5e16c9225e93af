using System.Numerics;
using System.Runtime.CompilerServices;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Adamax</c> (Adam with the infinity norm): m += (g − m)(1 − β1), u = max(β2·u, |g|),
/// w −= learningRate · m / ((1 − β1^t)(u + ε)).
/// </summary>
public sealed class Adamax : MomentOptimizer
{
    private static readonly string[] s_slots = ["momentum", "norm"];

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative and finite.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay of the infinity norm, in [0, 1]; 1 (accepted by Keras, which checks nothing) keeps
    /// the largest |g| so far.</param>
    /// <param name="epsilon">Added to the norm; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Adamax(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7)
        : base(learningRate, beta1, beta2, epsilon, beta2MayBeOne: true)
    {
    }

    /// <inheritdoc/>
    public override string Name => "adamax";

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    private Rule _rule;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), slots[1].AsSpan(), _rule);

    /// <inheritdoc/>
    private protected override void BeginUpdates(long step, float learningRate)
    {
        float correction = (float)(1.0 - Math.Pow(Beta1AsWritten, step));
        _rule = new Rule(learningRate, OneMinusBeta1, Beta2, Epsilon, correction);
    }

    // Slots: momentum, norm (both flushed to 0 below the smallest normal float). m += (g − m)(1 − β1); u = max(β2·u, |g|);
    // w −= lr·m / (correction·(u + ε)).
    private readonly struct Rule(float lr, float oneMinusBeta1, float beta2, float epsilon, float correction) : IElementwiseUpdate
    {
        private readonly Vector<float> _lr = new(lr), _oneMinusBeta1 = new(oneMinusBeta1), _beta2 = new(beta2), _epsilon = new(epsilon), _correction = new(correction);

        public static int SlotCount => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> m, ref Vector<float> u, ref Vector<float> slot2)
        {
            Vector<float> mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * _oneMinusBeta1));
            Vector<float> uNew = ElementwiseUpdate.FlushToZero(Vector.Max(_beta2 * u, Vector.Abs(input)));
            m = mNew;
            u = uNew;
            return value - ((_lr * mNew) / (_correction * (uNew + _epsilon)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float m, ref float u, ref float slot2)
        {
            float mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * oneMinusBeta1));
            float uNew = ElementwiseUpdate.FlushToZero(MathF.Max(beta2 * u, MathF.Abs(input)));
            m = mNew;
            u = uNew;
            return value - ((lr * mNew) / (correction * (uNew + epsilon)));
        }
    }
}
