using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>Huber</c> loss: with x = prediction − target, 0.5·x² where |x| ≤ delta, else delta·|x| − 0.5·delta²; the mean.
/// </summary>
public sealed class Huber : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="delta">Where the loss turns from quadratic to linear; positive and finite.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive and finite.</exception>
    public Huber(double delta = 1.0, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        if (!(delta > 0) || double.IsInfinity(delta))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, $"Huber expects a positive, finite delta but got delta={delta}.");
        }

        Delta = delta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <inheritdoc/>
    public override string Name => "huber_loss";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets) => LossLoops.Mean(Name, predictions, targets, new HuberValue(Delta));

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        LossLoops.MeanPerSample(Name, predictions, targets, destination, new HuberValue(Delta));

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        double delta = Delta;
        for (int i = 0; i < p.Length; i++)
        {
            g[i] = (float)(Math.Clamp((double)p[i] - t[i], -delta, delta) / p.Length);
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("delta", Delta);

    // A struct rather than a lambda reading Delta, which would allocate a closure every step.
    private readonly struct HuberValue(double delta) : IElementLoss
    {
        public double Value(double prediction, double target)
        {
            double x = Math.Abs(prediction - target);
            return x <= delta ? 0.5 * x * x : (delta * x) - (0.5 * delta * delta);
        }
    }
}
