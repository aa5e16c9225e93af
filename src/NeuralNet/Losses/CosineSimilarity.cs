namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>CosineSimilarity</c> loss over the last axis: −Σ (t / ‖t‖)·(p / ‖p‖) per row, each norm at least 1e-6
/// (Keras' l2_normalize: the squared norm at least 1e-12); the mean over rows. −1 when aligned, 1 when opposite.
/// </summary>
public sealed class CosineSimilarity : Loss
{
    private const double MinimumSquaredNorm = 1e-12;

    /// <inheritdoc/>
    public override string Name => "cosine_similarity";

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets)
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
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient)
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
        double squares = Dot(x, x);
        clamped = squares < MinimumSquaredNorm;
        return 1 / Math.Sqrt(Math.Max(squares, MinimumSquaredNorm));
    }

    private readonly struct RowValue : IRowLoss
    {
        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets) =>
            -Dot(predictions, targets) * InverseNorm(predictions, out _) * InverseNorm(targets, out _);
    }
}
