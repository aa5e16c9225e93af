using NeuralNet.Serialization;

namespace NeuralNet.Regularizers;

/// <summary>The L1 weight penalty <c>l1 * sum(|w|)</c>; its gradient is <c>l1 * sign(w)</c> (0 at 0).</summary>
public sealed class L1 : Regularizer
{
    /// <summary>Creates the penalty.</summary>
    /// <param name="l1">The factor, finite and at least 0 (Keras default 0.01).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="l1"/> is negative or not finite.</exception>
    public L1(double l1 = 0.01)
    {
        Factor = RegularizerChecks.Factor(l1, nameof(l1), "L1");
    }

    /// <summary>The factor.</summary>
    public float Factor { get; }

    /// <inheritdoc/>
    public override string Name => "l1";

    /// <inheritdoc/>
    public override float Penalty(ReadOnlySpan<float> weights) => (float)(Factor * RegularizerChecks.SumOfMagnitudes(weights));

    /// <inheritdoc/>
    public override void AddGradient(ReadOnlySpan<float> weights, Span<float> gradient) =>
        RegularizerChecks.AddGradient(weights, gradient, Factor, 0f);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("l1", Factor);
}
