namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Adamax</c> (Adam with the infinity norm): m += (g − m)(1 − β1), u = max(β2·u, |g|),
/// w −= learningRate · m / ((1 − β1^t)(u + ε)).
/// </summary>
public sealed class Adamax : MomentOptimizer
{
    private static readonly string[] s_slots = ["momentum", "norm"];

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; positive and finite.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay of the infinity norm, in [0, 1).</param>
    /// <param name="epsilon">Added to the norm; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Adamax(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon)
    {
    }

    /// <inheritdoc/>
    public override string Name => "adamax";

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        Span<float> m = slots[0].AsSpan(), u = slots[1].AsSpan();
        float correction = (float)(1.0 - Math.Pow(Beta1AsWritten, step));
        float lr = LearningRate, beta2 = Beta2, epsilon = Epsilon, oneMinusBeta1 = OneMinusBeta1;
        for (int i = 0; i < values.Length; i++)
        {
            float g = gradient[i];
            m[i] += (g - m[i]) * oneMinusBeta1;
            u[i] = MathF.Max(beta2 * u[i], MathF.Abs(g));
            values[i] -= lr * m[i] / (correction * (u[i] + epsilon));
        }
    }

}
