namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>CategoricalHinge</c> loss, per row (one-hot targets): max(max_j((1 − t_j)·p_j) − Σ_j t_j·p_j + 1, 0); the mean over rows.
/// </summary>
public sealed class CategoricalHinge : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public CategoricalHinge(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "categorical_hinge";

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
        (int width, int rows) = LossLoops.RowLayout(predictions);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> p = predictions.AsReadOnlySpan().Slice(r * width, width), t = targets.AsReadOnlySpan().Slice(r * width, width);
            Span<float> g = gradient.AsSpan().Slice(r * width, width);
            double loss = Row(p, t, out int worst);
            for (int j = 0; j < width; j++)
            {
                g[j] = loss > 0 ? (float)((-t[j] + (j == worst ? 1 - t[j] : 0)) / rows) : 0f;
            }
        }
    }

    // The row's loss, and the index of its largest (1 − t)·p.
    private static double Row(ReadOnlySpan<float> p, ReadOnlySpan<float> t, out int worst)
    {
        double positive = 0, negative = double.NegativeInfinity;
        worst = 0;
        for (int j = 0; j < p.Length; j++)
        {
            positive += (double)t[j] * p[j];
            double candidate = (1.0 - t[j]) * p[j];
            if (candidate > negative)
            {
                negative = candidate;
                worst = j;
            }
        }

        return Math.Max(negative - positive + 1, 0);
    }

    private readonly struct RowValue : IRowLoss
    {
        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets) => Row(predictions, targets, out _);
    }
}
