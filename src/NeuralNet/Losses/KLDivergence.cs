namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>KLDivergence</c>: per row Σ t·log(t / p) with targets and predictions clipped to [1e-7, 1]; the mean over rows.
/// </summary>
public sealed class KLDivergence : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public KLDivergence(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "kl_divergence";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => LossChecks.SameSampleShape(Name, outputShape, targetShape, oneHot: true);

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
        (_, int rows) = LossLoops.RowLayout(predictions);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        for (int i = 0; i < p.Length; i++)
        {
            g[i] = p[i] >= LossChecks.Epsilon && p[i] <= 1 ? (float)(-Clip(t[i]) / p[i] / rows) : 0f;
        }
    }

    private static double Clip(double x) => Math.Clamp(x, LossChecks.Epsilon, 1.0);

    private readonly struct RowValue : IRowLoss
    {
        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
        {
            double total = 0;
            for (int j = 0; j < predictions.Length; j++)
            {
                double tc = Clip(targets[j]);
                total += tc * Math.Log(tc / Clip(predictions[j]));
            }

            return total;
        }
    }
}
