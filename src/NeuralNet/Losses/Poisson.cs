namespace NeuralNet.Losses;

/// <summary>Keras' <c>Poisson</c> loss: mean(prediction − target · log(prediction + 1e-7)), for count targets and positive predictions.</summary>
public sealed class Poisson : Loss
{
    /// <inheritdoc/>
    public override string Name => "poisson";

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => LossLoops.Mean(Name, predictions, targets, Value);

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        LossLoops.MeanPerSample(Name, predictions, targets, destination, Value);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) =>
        LossLoops.MeanGradient(Name, predictions, targets, gradient, static (p, t) => 1 - (t / (p + LossChecks.Epsilon)));

    private static double Value(double p, double t) => p - (t * Math.Log(p + LossChecks.Epsilon));
}
