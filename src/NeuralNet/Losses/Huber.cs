using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>Huber</c> loss: with x = prediction − target, 0.5·x² where |x| ≤ delta, else delta·|x| − 0.5·delta²; the mean.
/// </summary>
public sealed class Huber : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="delta">Where the loss turns from quadratic to linear; positive and finite.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive and finite.</exception>
    public Huber(double delta = 1.0)
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
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets)
    {
        // Written out rather than through LossLoops: a lambda reading Delta would allocate a closure every step.
        LossChecks.SameShape(Name, predictions, targets);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        double delta = Delta, total = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double x = Math.Abs((double)p[i] - t[i]);
            total += x <= delta ? 0.5 * x * x : (delta * x) - (0.5 * delta * delta);
        }

        return (float)(total / p.Length);
    }

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient)
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
    public override Config GetConfig() => new Config().Set("delta", Delta);
}
