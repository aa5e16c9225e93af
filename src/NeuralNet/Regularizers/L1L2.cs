using NeuralNet.Serialization;

namespace NeuralNet.Regularizers;

/// <summary>
/// The combined penalty <c>l1 * sum(|w|) + l2 * sum(w²)</c>; its gradient is <c>l1 * sign(w) + 2 * l2 * w</c>.
/// </summary>
/// <remarks>Both factors default to 0, as in Keras' <c>L1L2</c>.</remarks>
public sealed class L1L2 : Regularizer
{
    /// <summary>Creates the penalty.</summary>
    /// <param name="l1">The L1 factor, finite and at least 0 (Keras default 0).</param>
    /// <param name="l2">The L2 factor, finite and at least 0 (Keras default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is negative or not finite.</exception>
    public L1L2(double l1 = 0.0, double l2 = 0.0)
    {
        L1Factor = RegularizerChecks.Factor(l1, nameof(l1), "L1L2");
        L2Factor = RegularizerChecks.Factor(l2, nameof(l2), "L1L2");
    }

    /// <summary>The L1 factor.</summary>
    public float L1Factor { get; }

    /// <summary>The L2 factor.</summary>
    public float L2Factor { get; }

    /// <inheritdoc/>
    public override string Name => "l1_l2";

    /// <inheritdoc/>
    public override float Penalty(ReadOnlySpan<float> weights) =>
        (float)((L1Factor * RegularizerChecks.SumOfMagnitudes(weights)) + (L2Factor * RegularizerChecks.SumOfSquares(weights)));

    /// <inheritdoc/>
    public override void AddGradient(ReadOnlySpan<float> weights, Span<float> gradient) =>
        RegularizerChecks.AddGradient(weights, gradient, L1Factor, L2Factor);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("l1", L1Factor).Set("l2", L2Factor);
}
