using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Unpacks its input along one axis into one output per entry, each without that axis (Keras' <c>ops.unstack(x, num,
/// axis)</c>, which <c>NeuralNet.Keras</c> reads as this layer): (batch, 3, 4) unstacked on axis 1 gives three outputs of
/// (batch, 4). No parameters.
/// </summary>
/// <remarks>
/// <para>The axis counts the batch axis, as in Keras; the batch axis (0, Keras' default) and variable axes (None) cannot be
/// unstacked (see <see cref="AxisPiecesLayer"/>, which also gives the outputs and the backward pass).</para>
/// <para>With <see cref="Num"/> null the number of outputs is known only once the layer is built, so
/// <see cref="Models.Sequential"/> refuses the layer even on an axis of size 1; give <c>num: 1</c> for a single output
/// there.</para>
/// </remarks>
/// <example><c>SymbolicTensor[] steps = new Unstack(axis: 1).CallOutputs(sequence);</c></example>
public sealed class Unstack : AxisPiecesLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The axis to unpack, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="num">The number of outputs (Keras' <c>num</c>), or null for the axis' size; when given, the axis' size must equal it.</param>
    /// <param name="name">The layer's name; the model names it <c>unstack</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0 or <paramref name="num"/> is less than 1.</exception>
    public Unstack(int axis, int? num = null, string? name = null)
        : base(axis, nameof(Unstack), name)
    {
        if (num < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(num), num, "Unstack expects num to be a positive number of outputs, or null for the axis' size.");
        }

        Num = num;
    }

    /// <summary>The number of outputs as given (Keras' <c>num</c>), or null for the axis' size.</summary>
    public int? Num { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "unstack";

    /// <inheritdoc/>
    internal override bool HasSeveralOutputs => Num != 1;

    /// <summary>Keras' <c>get_config</c>: <c>num</c> (null for the axis' size) and <c>axis</c>.</summary>
    public override Config GetConfig() => base.GetConfig().Set("num", Num).Set("axis", Axis);

    /// <summary>Creates the layer from its config.</summary>
    internal static Unstack FromConfig(Config config) => new(
        config.GetInt32("axis"),
        config.GetNullableInt64("num") is long num ? checked((int)num) : null,
        config.GetString("name"));

    /// <inheritdoc/>
    private protected override bool DropsAxis => true;

    /// <inheritdoc/>
    private protected override int[] PieceSizes(TensorShape inputShape, int size)
    {
        if (Num is int num && num != size)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} unpacks axis {Axis} of {inputShape.ToBatchString()} into num={num} outputs, but the axis has {size} entries; num must equal it (or be null)."), nameof(inputShape));
        }

        return [.. Enumerable.Repeat(1, size)];
    }
}
