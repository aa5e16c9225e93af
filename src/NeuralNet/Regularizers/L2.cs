using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Regularizers;

/// <summary>The L2 weight penalty <c>l2 * sum(w²)</c> (no factor 1/2, as in Keras); its gradient is <c>2 * l2 * w</c>.</summary>
public sealed class L2 : Regularizer
{
    /// <summary>Creates the penalty.</summary>
    /// <param name="l2">The factor, finite and at least 0 (Keras default 0.01).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="l2"/> is negative or not finite.</exception>
    public L2(double l2 = 0.01)
    {
        Factor = RegularizerChecks.Factor(l2, nameof(l2), "L2");
    }

    /// <summary>The factor.</summary>
    public float Factor { get; }

    /// <inheritdoc/>
    public override string Name => "l2";

    /// <inheritdoc/>
    public override float Penalty(ReadOnlySpan<float> weights) => (float)(Factor * RegularizerChecks.SumOfSquares(weights));

    /// <inheritdoc/>
    public override void AddGradient(ReadOnlySpan<float> weights, Span<float> gradient)
    {
        RegularizerChecks.SameLength(weights, gradient);
        TensorPrimitives.MultiplyAdd(weights, 2f * Factor, gradient, gradient);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("l2", Factor);
}
