using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Gives each sample another shape with the same number of elements (Keras' <c>Reshape</c>), in row-major order; one
/// dimension of the target may be -1, inferred from the others. Forward and backward are views: nothing is copied.
/// </summary>
/// <example><c>new Reshape(7, 7, 16)</c> turns (None, 784) into (None, 7, 7, 16); <c>new Reshape(-1, 8)</c> into (None, 98, 8).</example>
public sealed class Reshape : Layer
{
    private readonly int[] _target;
    private Tensor? _viewedInput;
    private Tensor? _outputView;
    private Tensor? _viewedGradient;
    private Tensor? _gradientView;

    /// <summary>Creates a reshape to <paramref name="targetShape"/> (per sample, without the batch axis).</summary>
    /// <param name="targetShape">The new per-sample shape; each dimension positive, except at most one -1.</param>
    /// <exception cref="ArgumentException">The shape is empty, has a dimension below -1 or 0, or more than one -1.</exception>
    public Reshape(params ReadOnlySpan<int> targetShape)
        : this(targetShape.ToArray(), null)
    {
    }

    /// <summary>Creates a named reshape.</summary>
    /// <param name="targetShape">The new per-sample shape; each dimension positive, except at most one -1.</param>
    /// <param name="name">The layer's name; the model names it <c>reshape</c>, ... when null.</param>
    /// <exception cref="ArgumentException">The shape is empty, has a dimension below -1 or 0, or more than one -1.</exception>
    public Reshape(int[] targetShape, string? name)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(targetShape);
        if (targetShape.Length == 0 || targetShape.Any(d => d == 0 || d < -1) || targetShape.Count(d => d == -1) > 1)
        {
            throw new ArgumentException($"Reshape expects positive dimensions with at most one -1, but got target_shape=({string.Join(", ", targetShape)}).", nameof(targetShape));
        }

        _target = [.. targetShape];
    }

    /// <summary>The target per-sample shape as given (possibly with one -1).</summary>
    public IReadOnlyList<int> TargetShape => _target;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "reshape";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("target_shape", _target);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Reshape FromConfig(Config config) => new(config.GetInt32Array("target_shape", InputLayer.MaxRank, minimum: -1), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int[] dims = [.. _target];
        long known = 1;
        foreach (int d in dims)
        {
            if (d != -1)
            {
                known *= d;
            }
        }

        int unknown = Array.IndexOf(dims, -1);
        if (unknown >= 0)
        {
            if (known == 0 || inputShape.ElementCount % known != 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} cannot reshape {inputShape.ToBatchString()} ({inputShape.ElementCount} elements per sample) into (None, {string.Join(", ", _target)})."), nameof(inputShape));
            }

            dims[unknown] = (int)(inputShape.ElementCount / known);
        }
        else if (known != inputShape.ElementCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: the total size of the tensor must be unchanged, but input {inputShape.ToBatchString()} has {inputShape.ElementCount} elements per sample and target_shape (None, {string.Join(", ", _target)}) has {known}."), nameof(inputShape));
        }

        return new TensorShape(dims);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        if (!ReferenceEquals(input, _viewedInput))
        {
            _outputView = input.Reshape(OutputShape.Prepend(input.Shape[0]).Dimensions);
            _viewedInput = input;
        }

        return _outputView!;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (!ReferenceEquals(outputGradient, _viewedGradient))
        {
            _gradientView = outputGradient.Reshape(InputShape.Prepend(outputGradient.Shape[0]).Dimensions);
            _viewedGradient = outputGradient;
        }

        return _gradientView!;
    }
}
