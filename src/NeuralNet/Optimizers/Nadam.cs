using System.Numerics;
using System.Runtime.CompilerServices;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Nadam</c> (Adam with Nesterov momentum, Dozat's schedule): with μ_t = β1(1 − ½·0.96^t) and Π_t = μ_1⋯μ_t,
/// m += (g − m)(1 − β1), v += (g² − v)(1 − β2), m̂ = μ_{t+1}·m / (1 − Π_t·μ_{t+1}) + (1 − μ_t)·g / (1 − Π_t),
/// v̂ = v / (1 − β2^t), w −= learningRate · m̂ / (√v̂ + ε).
/// </summary>
/// <remarks>
/// Unlike Adam's, Keras' Nadam casts β1, β2 and 0.96 to float32 before using them (<c>nadam.py</c>, <c>update_step</c>),
/// so here too: the complements are float32 differences (1 − 0.999f = 9.99987e-4, not 0.001) and μ_t, Π_t and β2^t are
/// worked from the float32 values (in float64, once per step).
/// </remarks>
public sealed class Nadam : MomentOptimizer
{
    // 0.96 as Keras casts it (ops.cast(0.96, var_dtype)); the power of 0.96 in Keras' product is cast to float32 too.
    private const double Decay = 0.96f;
    private static readonly string[] s_slots = ["momentum", "velocity"];
    private long _productStep;
    private double _product = 1;
    private Rule _rule;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative and finite.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the root of the second moment; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Nadam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7)
        : base(learningRate, beta1, beta2, epsilon)
    {
    }

    // Keras' ops.cast(self.beta_1, var_dtype) and (1 - beta_1) on it, in float32; likewise for β2.
    private float OneMinusBeta1Float32 => 1f - Beta1;

    private float OneMinusBeta2Float32 => 1f - Beta2;

    /// <inheritdoc/>
    public override string Name => "nadam";

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), slots[1].AsSpan(), _rule);

    /// <inheritdoc/>
    private protected override void BeginUpdates(long step, float learningRate)
    {
        double product = Product(step);
        double mu = Mu(step), next = Mu(step + 1);
        float momentumScale = (float)(next / (1 - (product * next)));
        float gradientScale = (float)((1 - mu) / (1 - product));
        float velocityScale = (float)(1 / (1 - Math.Pow(Beta2, step)));
        _rule = new Rule(learningRate, OneMinusBeta1Float32, OneMinusBeta2Float32, Epsilon, momentumScale, gradientScale, velocityScale);
    }

    private double Mu(long t) => Beta1 * (1 - (0.5 * Math.Pow(Decay, t)));

    // Π_t, which Keras keeps as a variable multiplied by μ_t once per step: a function of t, cached for the current step
    // and extended by one factor per step (recomputed from the start after a load). Only BeginUpdates calls it, once per
    // step on the thread that calls Step, so it needs no lock.
    private double Product(long step)
    {
        if (step < _productStep)
        {
            (_productStep, _product) = (0, 1);
        }

        while (_productStep < step)
        {
            _productStep++;
            _product *= Mu(_productStep);
        }

        return _product;
    }

    // Slots: momentum, velocity (flushed to 0 below the smallest normal float). The step's schedule terms come in as the three scales.
    private readonly struct Rule(float lr, float oneMinusBeta1, float oneMinusBeta2, float epsilon, float momentumScale, float gradientScale, float velocityScale) : IElementwiseUpdate
    {
        private readonly Vector<float> _lr = new(lr), _oneMinusBeta1 = new(oneMinusBeta1), _oneMinusBeta2 = new(oneMinusBeta2), _epsilon = new(epsilon);
        private readonly Vector<float> _momentumScale = new(momentumScale), _gradientScale = new(gradientScale), _velocityScale = new(velocityScale);

        public static int SlotCount => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> m, ref Vector<float> v, ref Vector<float> slot2)
        {
            Vector<float> mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * _oneMinusBeta1));
            Vector<float> vNew = ElementwiseUpdate.FlushToZero(v + (((input * input) - v) * _oneMinusBeta2));
            m = mNew;
            v = vNew;
            Vector<float> mHat = (_momentumScale * mNew) + (_gradientScale * input);
            Vector<float> vHat = vNew * _velocityScale;
            return value - ((mHat * _lr) / (Vector.SquareRoot(vHat) + _epsilon));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float m, ref float v, ref float slot2)
        {
            float mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * oneMinusBeta1));
            float vNew = ElementwiseUpdate.FlushToZero(v + (((input * input) - v) * oneMinusBeta2));
            m = mNew;
            v = vNew;
            float mHat = (momentumScale * mNew) + (gradientScale * input);
            float vHat = vNew * velocityScale;
            return value - ((mHat * lr) / (MathF.Sqrt(vHat) + epsilon));
        }
    }
}
