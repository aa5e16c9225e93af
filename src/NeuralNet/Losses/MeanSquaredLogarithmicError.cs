namespace NeuralNet.Losses;

/// <summary>Keras' <c>MeanSquaredLogarithmicError</c>: mean((log(max(prediction, 1e-7) + 1) − log(max(target, 1e-7) + 1))²).</summary>
public sealed class MeanSquaredLogarithmicError : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public MeanSquaredLogarithmicError(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "mean_squared_logarithmic_error";

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
        LossLoops.MeanGradient(Name, predictions, targets, gradient,
            static (p, t) => p > LossChecks.Epsilon ? 2 * (Log1(p) - Log1(t)) / (p + 1) : 0);

    private static double Value(double p, double t) => Square(Log1(p) - Log1(t));

    private static double Log1(double x) => Math.Log(Math.Max(x, LossChecks.Epsilon) + 1);

    private static double Square(double x) => x * x;
}
