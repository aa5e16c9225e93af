using NeuralNet.Serialization;

namespace NeuralNet.Constraints;

/// <summary>
/// Scales each group of weights to unit norm (Keras' <c>UnitNorm</c>, <c>"unit_norm"</c>): <c>w / (1e-7 + norm)</c>, the
/// norm taken over <see cref="Axes"/> (Keras' default 0: one norm per Dense unit).
/// </summary>
public sealed class UnitNorm : Constraint
{
    private readonly NormAxes _axes;

    /// <summary>Creates the constraint.</summary>
    /// <param name="axis">The axes the norm sums over (negative counts from the end); Keras' default 0.</param>
    public UnitNorm(params int[] axis) => _axes = new NormAxes(axis is null || axis.Length == 0 ? [0] : axis, nameof(axis));

    /// <summary>The axes the norm sums over.</summary>
    public IReadOnlyList<int> Axes => _axes.Axes;

    /// <inheritdoc/>
    public override string Name => "unit_norm";

    /// <inheritdoc/>
    public override void Apply(Tensor weights) => _axes.Scale(weights, nameof(UnitNorm), default(Rule));

    /// <inheritdoc/>
    public override void ValidateShape(TensorShape shape) => _axes.Mask(shape, nameof(UnitNorm));

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        var config = new Config();
        _axes.Write(config);
        return config;
    }

    private readonly struct Rule : INormRule
    {
        public bool Divides => true;

        public float Factor(float norm) => NormConstraintEpsilon.Value + norm;
    }
}
