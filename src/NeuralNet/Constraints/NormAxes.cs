using System.Buffers;
using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Constraints;

/// <summary>
/// The axes a norm constraint sums over (Keras' <c>axis</c>: one integer or a list, negative counting from the end), and
/// the norms of a weight tensor over them, in pooled scratch so that a training step allocates nothing.
/// </summary>
internal sealed class NormAxes
{
    private readonly int[] _axes;

    public NormAxes(ReadOnlySpan<int> axes, string parameterName)
    {
        if (axes.IsEmpty)
        {
            throw new ArgumentException("At least one axis is needed to compute a norm over.", parameterName);
        }

        _axes = axes.ToArray();
    }

    public IReadOnlyList<int> Axes => _axes;

    /// <summary>The reduced axes of a tensor of <paramref name="shape"/> as bits; throws naming the constraint and the shape when an axis does not exist or repeats.</summary>
    public int Mask(TensorShape shape, string constraint)
    {
        int rank = shape.Rank;
        if (rank > AxisNorms.MaxRank)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{constraint} applies to weights of at most {AxisNorms.MaxRank} axes; the parameter has shape {shape}."));
        }

        int mask = 0;
        foreach (int axis in _axes)
        {
            int a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank || (mask & (1 << a)) != 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{constraint}: axis [{string.Join(", ", _axes)}] does not fit weights of shape {shape} (rank {rank}); each axis must be in [-{rank}, {rank - 1}] and appear once."));
            }

            mask |= 1 << a;
        }

        return mask;
    }

    /// <summary>Writes Keras' <c>axis</c>: the integer when there is one axis, otherwise the list.</summary>
    public void Write(Config config) =>
        _ = _axes.Length == 1 ? config.Set("axis", _axes[0]) : config.Set("axis", (ReadOnlySpan<int>)_axes);

    /// <summary>Reads Keras' <c>axis</c> (absent: <paramref name="fallback"/>).</summary>
    public static int[] Read(Config config, int fallback) =>
        !config.Contains("axis") ? [fallback]
        : config.GetNode("axis") is JsonArray ? config.GetInt32Array("axis", AxisNorms.MaxRank)
        : [config.GetInt32("axis")];

    /// <summary>
    /// Computes the norms of <paramref name="weights"/>, hands them to <paramref name="rule"/> to turn into factors in place,
    /// and scales (or divides) the weights by them.
    /// </summary>
    public void Scale<TRule>(Tensor weights, string constraint, TRule rule)
        where TRule : struct, INormRule
    {
        ArgumentNullException.ThrowIfNull(weights);
        int mask = Mask(weights.Shape, constraint);
        ReadOnlySpan<int> dims = weights.Shape.Dimensions;
        int count = AxisNorms.Count(dims, mask);
        double[] sums = ArrayPool<double>.Shared.Rent(count);
        float[] factors = ArrayPool<float>.Shared.Rent(count);
        try
        {
            Span<float> norms = factors.AsSpan(0, count);
            AxisNorms.Compute(weights.AsReadOnlySpan(), dims, mask, sums, norms);
            for (int k = 0; k < count; k++)
            {
                norms[k] = rule.Factor(norms[k]);
            }

            AxisNorms.Scale(weights.AsSpan(), dims, mask, norms, rule.Divides);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(sums);
            ArrayPool<float>.Shared.Return(factors);
        }
    }
}

/// <summary>What a norm constraint does with each norm: the factor (or divisor) it becomes.</summary>
internal interface INormRule
{
    /// <summary>Whether the weights are divided by the factor (Keras' UnitNorm) rather than multiplied.</summary>
    bool Divides { get; }

    /// <summary>The factor for a group of weights of Euclidean norm <paramref name="norm"/>.</summary>
    float Factor(float norm);
}
