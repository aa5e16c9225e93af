namespace NeuralNet.Losses;

/// <summary>
/// The mean of <c>(p - t)²</c> over the last axis, averaged over the batch: with every sample the same size, the
/// mean over all elements (Keras <c>mean_squared_error</c>).
/// </summary>
/// <remarks>Shapes: predictions and targets (batch, ...), equal.</remarks>
public sealed class MeanSquaredError : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public MeanSquaredError(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "mean_squared_error";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) =>
        LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets) => LossLoops.Mean(Name, predictions, targets, default(SquaredError));

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        LossLoops.MeanPerSample(Name, predictions, targets, destination, default(SquaredError));

    /// <inheritdoc/>
    /// <remarks><c>2 (p - t) / n</c>, n the number of elements.</remarks>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        float scale = 2f / p.Length;
        for (int i = 0; i < p.Length; i++)
        {
            g[i] = (p[i] - t[i]) * scale;
        }
    }

    private readonly struct SquaredError : IElementLoss
    {
        public double Value(double prediction, double target) => (prediction - target) * (prediction - target);
    }
}
