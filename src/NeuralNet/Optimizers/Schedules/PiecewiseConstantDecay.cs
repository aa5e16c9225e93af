using NeuralNet.Serialization;

namespace NeuralNet.Optimizers.Schedules;

/// <summary>
/// Keras' <c>PiecewiseConstantDecay</c>: values[0] while step ≤ boundaries[0], values[i] while boundaries[i − 1] &lt; step ≤
/// boundaries[i], the last value after the last boundary.
/// </summary>
public sealed class PiecewiseConstantDecay : LearningRateSchedule
{
    private readonly long[] _boundaries;
    private readonly double[] _values;

    /// <summary>Creates the schedule.</summary>
    /// <param name="boundaries">Increasing step boundaries.</param>
    /// <param name="values">One more value than boundaries.</param>
    /// <exception cref="ArgumentException">The lengths do not match, the boundaries do not increase, or a value is negative or not finite (<see cref="ArgumentOutOfRangeException"/>).</exception>
    public PiecewiseConstantDecay(IReadOnlyList<long> boundaries, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != boundaries.Count + 1)
        {
            throw new ArgumentException($"PiecewiseConstantDecay needs one more value than boundaries: {boundaries.Count} boundaries and {values.Count} values.", nameof(values));
        }

        for (int i = 1; i < boundaries.Count; i++)
        {
            if (boundaries[i] <= boundaries[i - 1])
            {
                throw new ArgumentException($"PiecewiseConstantDecay's boundaries must increase, but boundary {i} ({boundaries[i]}) is not above {boundaries[i - 1]}.", nameof(boundaries));
            }
        }

        _boundaries = [.. boundaries];
        _values = [.. values.Select((v, i) => NonNegative(v, $"values[{i}]"))];
    }

    /// <summary>The step boundaries.</summary>
    public IReadOnlyList<long> Boundaries => _boundaries;

    /// <summary>The rates between them.</summary>
    public IReadOnlyList<double> Values => _values;

    /// <inheritdoc/>
    public override string Name => "PiecewiseConstantDecay";

    /// <inheritdoc/>
    private protected override string DefaultName => "PiecewiseConstant";

    /// <inheritdoc/>
    public override double Rate(long step)
    {
        int i = 0;
        while (i < _boundaries.Length && step > _boundaries[i])
        {
            i++;
        }

        return _values[i];
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("boundaries", _boundaries).Set("values", _values);
}
