namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Nadam</c> (Adam with Nesterov momentum, Dozat's schedule): with μ_t = β1(1 − ½·0.96^t) and Π_t = μ_1⋯μ_t,
/// m += (g − m)(1 − β1), v += (g² − v)(1 − β2), m̂ = μ_{t+1}·m / (1 − Π_t·μ_{t+1}) + (1 − μ_t)·g / (1 − Π_t),
/// v̂ = v / (1 − β2^t), w −= learningRate · m̂ / (√v̂ + ε).
/// </summary>
public sealed class Nadam : MomentOptimizer
{
    private const double Decay = 0.96;
    private static readonly string[] s_slots = ["momentum", "velocity"];
    private readonly object _productLock = new();
    private long _productStep;
    private double _product = 1;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; positive and finite.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the root of the second moment; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Nadam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon)
    {
    }

    /// <inheritdoc/>
    public override string Name => "nadam";

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        double product = Product(step);
        double mu = Mu(step), next = Mu(step + 1);
        float momentumScale = (float)(next / (1 - (product * next)));
        float gradientScale = (float)((1 - mu) / (1 - product));
        float velocityScale = (float)(1 / (1 - Math.Pow(Beta2AsWritten, step)));
        float lr = LearningRate, epsilon = Epsilon, oneMinusBeta1 = OneMinusBeta1, oneMinusBeta2 = OneMinusBeta2;
        Span<float> m = slots[0].AsSpan(), v = slots[1].AsSpan();
        for (int i = 0; i < values.Length; i++)
        {
            float g = gradient[i];
            m[i] += (g - m[i]) * oneMinusBeta1;
            v[i] += ((g * g) - v[i]) * oneMinusBeta2;
            float mHat = (momentumScale * m[i]) + (gradientScale * g);
            float vHat = v[i] * velocityScale;
            values[i] -= mHat * lr / (MathF.Sqrt(vHat) + epsilon);
        }
    }


    private double Mu(long t) => Beta1AsWritten * (1 - (0.5 * Math.Pow(Decay, t)));

    // Π_t, which Keras keeps as a variable multiplied by μ_t once per step: a function of t, cached for the current step
    // and extended by one factor per step (recomputed from the start after a load). Locked: blocks of one parameter may
    // be updated on several threads.
    private double Product(long step)
    {
        lock (_productLock)
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
    }
}
