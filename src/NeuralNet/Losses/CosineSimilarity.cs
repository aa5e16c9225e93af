namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>CosineSimilarity</c> loss over the last axis: −Σ (t / ‖t‖)·(p / ‖p‖) per row, each norm at least 1e-7
/// (Keras 3 normalises with <c>ops.nn.normalize</c>: x · min(rsqrt(Σx²), 1 / epsilon), epsilon = 1e-7); the mean over
/// rows. −1 when aligned, 1 when opposite. Where a row's norm is below 1e-7 its inverse norm is the constant 1e7, so
/// the gradient does not flow through it.
/// </summary>
public sealed class CosineSimilarity : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public CosineSimilarity(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    // Keras 3: inv_norm = minimum(rsqrt(square_sum), 1.0 / epsilon) with epsilon = backend.epsilon() = 1e-7
    // (keras/src/ops/nn.py _normalize). Keras 2's l2_normalize clamped the squared norm at 1e-12 instead.
    private const double MaximumInverseNorm = 1e7;

    /// <inheritdoc/>
    public override string Name => "cosine_similarity";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        LossChecks.SameShape(Name, predictions, targets);
        (int width, _) = LossLoops.RowLayout(predictions);
        return LossLoops.RowMean(predictions, targets, width, width, default(RowValue));
    }

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        LossChecks.SameShape(Name, predictions, targets);
        (int width, _) = LossLoops.RowLayout(predictions);
        LossLoops.RowMeanPerSample(Name, predictions, targets, width, width, destination, default(RowValue));
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
        (int width, int rows) = LossLoops.RowLayout(predictions);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> p = predictions.AsReadOnlySpan().Slice(r * width, width), t = targets.AsReadOnlySpan().Slice(r * width, width);
            Span<float> g = gradient.AsSpan().Slice(r * width, width);
            double ip = InverseNorm(p, out bool clamped), it = InverseNorm(t, out _);
            double cosine = Dot(p, t) * ip * it;
            for (int j = 0; j < width; j++)
            {
                // d/dp of −(t·p)/(‖t‖‖p‖): −t/(‖t‖‖p‖) + cos·p/‖p‖² (the second term vanishes where the norm is clamped).
                double d = (-t[j] * it * ip) + (clamped ? 0 : cosine * p[j] * ip * ip);
                g[j] = (float)(d / rows);
            }
        }
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int j = 0; j < a.Length; j++)
        {
            sum += (double)a[j] * b[j];
        }

        return sum;
    }

    private static double InverseNorm(ReadOnlySpan<float> x, out bool clamped)
    {
        double inverse = 1 / Math.Sqrt(Dot(x, x));
        clamped = inverse > MaximumInverseNorm; // a zero row gives +inf here, so 1e7; NaN stays NaN, as in Keras
        return clamped ? MaximumInverseNorm : inverse;
    }

    private readonly struct RowValue : IRowLoss
    {
        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets) =>
            -Dot(predictions, targets) * InverseNorm(predictions, out _) * InverseNorm(targets, out _);
    }
}
