namespace NeuralNet.Losses;

/// <summary>Keras' <c>LogCosh</c>: mean(log(cosh(prediction − target))), computed as x + softplus(−2x) − log 2 so that it never overflows.</summary>
public sealed class LogCosh : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public LogCosh(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    private static readonly double Log2 = Math.Log(2);

    /// <inheritdoc/>
    public override string Name => "log_cosh";

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
        LossLoops.MeanGradient(Name, predictions, targets, gradient, static (p, t) => Math.Tanh(p - t));

    private static double Value(double p, double t)
    {
        double x = p - t;
        double y = -2 * x;
        double softplus = y > 0 ? y + Math.Log(1 + Math.Exp(-y)) : Math.Log(1 + Math.Exp(y));
        return x + softplus - Log2;
    }
}
