using System.Numerics.Tensors;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Lamb</c> (You et al., 2019, "Large batch optimization for deep learning"): Adam's bias-corrected direction,
/// rescaled per parameter tensor by the trust ratio ‖w‖ / ‖update‖, so every layer moves by the learning rate relative
/// to its own size. Made for large batches.
/// </summary>
/// <remarks>
/// Per parameter tensor, at step t: <c>m += (g − m)(1 − β1)</c>, <c>v += (g² − v)(1 − β2)</c>,
/// <c>u = (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)</c>, then <c>w −= r·lr·u</c> with <c>r = ‖w‖ / ‖u‖</c> when both
/// norms are positive and 1 otherwise (<c>keras/src/optimizers/lamb.py</c>; the powers and their complements in float32
/// as Keras takes them). State: <c>momentum</c>, <c>velocity</c>.
/// </remarks>
public sealed class Lamb : MomentOptimizer
{
    private static readonly string[] s_slots = ["momentum", "velocity"];
    private float _momentumCorrection;
    private float _velocityCorrection;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size relative to each parameter tensor's norm; non-negative. Keras default 0.001.</param>
    /// <param name="beta1">The decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">The decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">The stabilizer added to the corrected √v; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is outside its range; the message names it.</exception>
    public Lamb(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7)
        : base(learningRate, beta1, beta2, epsilon)
    {
    }

    /// <inheritdoc/>
    public override string Name => "lamb";

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    // The trust ratio needs the whole tensor's norms, so a parameter is updated in one piece.
    private protected override bool UpdatesElementwise => false;

    /// <inheritdoc/>
    private protected override void BeginUpdates(long step, float learningRate)
    {
        // Keras: ops.power(ops.cast(beta, float32), local_step), then 1.0 - power, all in float32.
        _momentumCorrection = 1f - MathF.Pow(Beta1, step);
        _velocityCorrection = 1f - MathF.Pow(Beta2, step);
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        Span<float> m = slots[0].AsSpan(), v = slots[1].AsSpan();
        float oneMinusBeta1 = OneMinusBeta1, oneMinusBeta2 = OneMinusBeta2, epsilon = Epsilon;
        double updateSquares = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float g = gradient[i];
            m[i] = ElementwiseUpdate.FlushToZero(m[i] + ((g - m[i]) * oneMinusBeta1));
            v[i] = ElementwiseUpdate.FlushToZero(v[i] + (((g * g) - v[i]) * oneMinusBeta2));
            float u = Direction(m[i], v[i], epsilon);
            updateSquares += u * u;
        }

        float weightNorm = MathF.Sqrt(TensorPrimitives.SumOfSquares(values)), updateNorm = (float)Math.Sqrt(updateSquares);
        float ratio = weightNorm > 0f && updateNorm > 0f ? weightNorm / updateNorm : 1f;
        float scaledRate = ratio * StepLearningRate;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] -= scaledRate * Direction(m[i], v[i], epsilon);
        }
    }

    private float Direction(float m, float v, float epsilon) => (m / _momentumCorrection) / (MathF.Sqrt(v / _velocityCorrection) + epsilon);
}
