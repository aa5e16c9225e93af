namespace NeuralNet.Losses;

/// <summary>Keras' <c>Poisson</c> loss: mean(prediction − target · log(prediction + 1e-7)), for count targets and positive predictions.</summary>
public sealed class Poisson : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public Poisson(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "poisson";

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
        LossLoops.MeanGradient(Name, predictions, targets, gradient, static (p, t) => 1 - (t / (p + LossChecks.Epsilon)));

    private static double Value(double p, double t) => p - (t * Math.Log(p + LossChecks.Epsilon));
}
