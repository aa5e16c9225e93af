namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>Hinge</c> loss: mean(max(1 − target · prediction, 0)) for targets −1 or 1; targets that are all 0 or 1 are
/// read as −1 and 1, as Keras converts them.
/// </summary>
public sealed class Hinge : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public Hinge(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "hinge";

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
            LossLoops.MeanGradient(Name, predictions, targets, gradient, static (p, t) => 1 - (((2 * t) - 1) * p) > 0 ? -((2 * t) - 1) : 0);
        }
        else
        {
            LossLoops.MeanGradient(Name, predictions, targets, gradient, static (p, t) => 1 - (t * p) > 0 ? -t : 0);
        }
    }

    private static double BinaryValue(double p, double t) => Math.Max(1 - (((2 * t) - 1) * p), 0);

    private static double SignedValue(double p, double t) => Math.Max(1 - (t * p), 0);
}
