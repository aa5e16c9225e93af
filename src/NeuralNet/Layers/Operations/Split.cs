using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Splits its input along one axis into several outputs (Keras' <c>ops.split(x, indices_or_sections, axis)</c>, NumPy's
/// <c>split</c>, which <c>NeuralNet.Keras</c> reads as this layer): into <see cref="Sections"/> equal pieces, or at the
/// <see cref="Indices"/> given (<c>[2, 5]</c> gives <c>x[..., :2]</c>, <c>x[..., 2:5]</c> and <c>x[..., 5:]</c> on the
/// axis). No parameters.
/// </summary>
/// <remarks>
/// The axis counts the batch axis, as in Keras: 1 is the first axis of a sample, -1 the last; the batch axis (0, Keras'
/// default) and variable axes (None) cannot be split (see <see cref="AxisPiecesLayer"/>, which also gives the outputs and
/// the backward pass).
/// </remarks>
/// <example><c>SymbolicTensor[] halves = new Split(2, axis: -1).CallOutputs(x);</c></example>
public sealed class Split : AxisPiecesLayer
{
    private readonly int[]? _indices;

    /// <summary>Creates a split into equal pieces (Keras' integer <c>indices_or_sections</c>).</summary>
    /// <param name="sections">The number of pieces, at least 1; it must divide the axis' size.</param>
    /// <param name="axis">The axis to split, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="name">The layer's name; the model names it <c>split</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sections"/> is less than 1 or <paramref name="axis"/> is 0.</exception>
    public Split(int sections, int axis, string? name = null)
        : base(axis, nameof(Split), name)
    {
        if (sections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sections), sections, "Split expects a positive number of sections (Keras' indices_or_sections). Received: sections=" + sections.ToString(CultureInfo.InvariantCulture));
        }

        Sections = sections;
    }

    /// <summary>Creates a split at the given indices (Keras' list <c>indices_or_sections</c>).</summary>
    /// <param name="indices">Where the pieces start after the first: increasing, each at least 1 (checked against the axis' size when built).</param>
    /// <param name="axis">The axis to split, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="name">The layer's name; the model names it <c>split</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is empty, not increasing or has an index below 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0.</exception>
    public Split(int[] indices, int axis, string? name = null)
        : base(axis, nameof(Split), name)
    {
        ArgumentNullException.ThrowIfNull(indices);
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] < 1 || (i > 0 && indices[i] <= indices[i - 1]))
            {
                throw new ArgumentException($"Split expects increasing indices of at least 1, which give pieces of one or more entries (NeuralNet has no empty tensors). Received: indices_or_sections=[{string.Join(", ", indices)}].", nameof(indices));
            }
        }

        if (indices.Length == 0)
        {
            throw new ArgumentException("Split expects at least one index. Received: indices_or_sections=[].", nameof(indices));
        }

        _indices = (int[])indices.Clone();
    }

    /// <summary>The number of equal pieces, or null when the layer splits at <see cref="Indices"/>.</summary>
    public int? Sections { get; }

    /// <summary>The indices the pieces after the first start at, or null when the layer splits into <see cref="Sections"/>.</summary>
    public IReadOnlyList<int>? Indices => _indices;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "split";

    /// <inheritdoc/>
    internal override bool HasSeveralOutputs => _indices is not null || Sections > 1;

    /// <summary>Keras' <c>get_config</c>: <c>indices_or_sections</c> (a number or a list) and <c>axis</c>.</summary>
    public override Config GetConfig()
    {
        Config config = base.GetConfig();
        config = _indices is null ? config.Set("indices_or_sections", Sections!.Value) : config.Set("indices_or_sections", _indices);
        return config.Set("axis", Axis);
    }

    /// <summary>Creates the layer from its config.</summary>
    internal static Split FromConfig(Config config) => config.GetNode("indices_or_sections") is JsonArray
        ? new Split(config.GetInt32Array("indices_or_sections", int.MaxValue), config.GetInt32("axis"), config.GetString("name"))
        : new Split(config.GetInt32("indices_or_sections"), config.GetInt32("axis"), config.GetString("name"));

    /// <inheritdoc/>
    private protected override bool DropsAxis => false;

    /// <inheritdoc/>
    private protected override int[] PieceSizes(TensorShape inputShape, int size)
    {
        int[] sizes;
        if (_indices is null)
        {
            int sections = Sections!.Value;
            if (size % sections != 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} splits axis {Axis} of {inputShape.ToBatchString()} into {sections} equal sections, but its size {size} is not a multiple of {sections} (Keras: \"`x` size on given `axis` must be dividible by `indices_or_sections`\")."), nameof(inputShape));
            }

            sizes = [.. Enumerable.Repeat(size / sections, sections)];
        }
        else
        {
            if (_indices[^1] >= size)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} splits axis {Axis} of {inputShape.ToBatchString()} at [{string.Join(", ", _indices)}], but the last index must be less than the axis' size {size} (NumPy would give empty pieces, which NeuralNet has not)."), nameof(inputShape));
            }

            sizes = new int[_indices.Length + 1];
            int start = 0;
            for (int p = 0; p < _indices.Length; p++)
            {
                sizes[p] = _indices[p] - start;
                start = _indices[p];
            }

            sizes[^1] = size - start;
        }

        return sizes;
    }
}
