namespace NeuralNet.Losses;

/// <summary>Keras' <c>MeanAbsolutePercentageError</c>: 100 · mean(|target − prediction| / max(|target|, 1e-7)).</summary>
public sealed class MeanAbsolutePercentageError : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public MeanAbsolutePercentageError(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "mean_absolute_percentage_error";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets) => LossLoops.Mean(Name, predictions, targets, Value);

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        LossLoops.MeanPerSample(Name, predictions, targets, destination, Value);

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient) =>
        LossLoops.MeanGradient(Name, predictions, targets, gradient, static (p, t) => 100 * Math.Sign(p - t) / Math.Max(Math.Abs(t), LossChecks.Epsilon));

    private static double Value(double p, double t) => 100 * Math.Abs(t - p) / Math.Max(Math.Abs(t), LossChecks.Epsilon);
}
