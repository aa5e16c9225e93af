namespace NeuralNet.Losses;

/// <summary>Keras' <c>SquaredHinge</c> loss: mean(max(1 − target · prediction, 0)²), targets of 0 and 1 read as −1 and 1 as for <see cref="Hinge"/>.</summary>
public sealed class SquaredHinge : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public SquaredHinge(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "squared_hinge";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets) =>
        LossLoops.Mean(Name, predictions, targets, HingeTargets.IsBinary(targets) ? BinaryValue : SignedValue);

    /// <inheritdoc/>
    /// <remarks>Whether targets are 0/1 labels is decided over the whole batch, as for <see cref="Compute"/>.</remarks>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        LossLoops.MeanPerSample(Name, predictions, targets, destination, HingeTargets.IsBinary(targets) ? BinaryValue : SignedValue);

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        if (HingeTargets.IsBinary(targets))
        {
            LossLoops.MeanGradient(Name, predictions, targets, gradient, static (p, t) => -2 * ((2 * t) - 1) * Math.Max(1 - (((2 * t) - 1) * p), 0));
        }
        else
        {
            LossLoops.MeanGradient(Name, predictions, targets, gradient, static (p, t) => -2 * t * Math.Max(1 - (t * p), 0));
        }
    }

    private static double BinaryValue(double p, double t) => Square(Math.Max(1 - (((2 * t) - 1) * p), 0));

    private static double SignedValue(double p, double t) => Square(Math.Max(1 - (t * p), 0));

    private static double Square(double x) => x * x;
}
