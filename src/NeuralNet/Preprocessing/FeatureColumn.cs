using System.Globalization;

namespace NeuralNet.Preprocessing;

/// <summary>
/// One named column of structured data for <see cref="FeatureSpace"/>: a value per sample, strings, integers or floats
/// (Keras' dict of arrays). The arrays convert implicitly, so a dictionary reads
/// <c>new Dictionary&lt;string, FeatureColumn&gt; { ["age"] = ages, ["thal"] = thals }</c>.
/// </summary>
/// <remarks>
/// The column keeps the array it was given (an <c>int[]</c> is widened into a copy): do not change it while a
/// <see cref="FeatureSpace"/> reads it.
/// Float features take float or integer columns (integers are converted as Keras casts them to float32); integer
/// features take integer columns whose values a float32 holds exactly (|value| &lt;= 16777216), since tensors hold
/// floats; string features take string columns.
/// </remarks>
public sealed class FeatureColumn
{
    private readonly string[]? _strings;
    private readonly long[]? _integers;
    private readonly float[]? _floats;

    private FeatureColumn(string[]? strings, long[]? integers, float[]? floats)
    {
        _strings = strings;
        _integers = integers;
        _floats = floats;
    }

    /// <summary>The number of samples.</summary>
    public int Count => _strings?.Length ?? _integers?.Length ?? _floats!.Length;

    /// <summary>The kind of values: <c>"string"</c>, <c>"int"</c> or <c>"float"</c>.</summary>
    public string Kind => _strings is not null ? "string" : _integers is not null ? "int" : "float";

    /// <summary>A column of strings.</summary>
    /// <param name="values">The strings, one per sample.</param>
    /// <returns>The column.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public static FeatureColumn FromStrings(string[] values) => new(values ?? throw new ArgumentNullException(nameof(values)), null, null);

    /// <summary>A column of integers.</summary>
    /// <param name="values">The integers, one per sample.</param>
    /// <returns>The column.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public static FeatureColumn FromIntegers(long[] values) => new(null, values ?? throw new ArgumentNullException(nameof(values)), null);

    /// <summary>A column of floats.</summary>
    /// <param name="values">The floats, one per sample.</param>
    /// <returns>The column.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public static FeatureColumn FromFloats(float[] values) => new(null, null, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>A column of strings, as <see cref="FromStrings"/>.</summary>
    /// <param name="values">The strings.</param>
    public static implicit operator FeatureColumn(string[] values) => FromStrings(values);

    /// <summary>A column of integers, as <see cref="FromIntegers"/>.</summary>
    /// <param name="values">The integers.</param>
    public static implicit operator FeatureColumn(long[] values) => FromIntegers(values);

    /// <summary>A column of integers, as <see cref="FromIntegers"/> (a copy widened to 64 bits).</summary>
    /// <param name="values">The integers.</param>
    public static implicit operator FeatureColumn(int[] values) => FromIntegers(values is null ? null! : [.. values.Select(static v => (long)v)]);

    /// <summary>A column of floats, as <see cref="FromFloats"/>.</summary>
    /// <param name="values">The floats.</param>
    public static implicit operator FeatureColumn(float[] values) => FromFloats(values);

    /// <summary>
    /// Checks that the column fits a feature of <paramref name="dtype"/> ("float32", "int32" or "string"): the kind,
    /// and no null string or integer a float32 cannot hold. Names the feature and the sample in the message.
    /// </summary>
    internal void Check(string feature, string dtype)
    {
        bool fits = dtype switch
        {
            FeatureTypes.StringDtype => _strings is not null,
            FeatureTypes.IntDtype => _integers is not null,
            _ => _strings is null,
        };
        if (!fits)
        {
            string expected = dtype switch
            {
                FeatureTypes.StringDtype => "strings",
                FeatureTypes.IntDtype => "integers",
                _ => "floats (or integers)",
            };
            throw new ArgumentException($"Feature '{feature}' expects a column of {expected} but its column holds {Kind} values.", "data");
        }

        for (int i = 0; _strings is not null && i < _strings.Length; i++)
        {
            if (_strings[i] is null)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Feature '{feature}' holds null for sample {i}; expected a string."), "data");
            }
        }

        for (int i = 0; dtype == FeatureTypes.IntDtype && i < _integers!.Length; i++)
        {
            if (_integers[i] is < -16_777_216 or > 16_777_216)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Feature '{feature}' holds {_integers[i]} for sample {i}; integer features take values a float32 holds exactly (|value| <= 16777216), since tensors hold floats."), "data");
            }
        }
    }

    /// <summary>The strings of samples [start, start + count).</summary>
    internal string[] Strings(int start, int count) => _strings!.AsSpan(start, count).ToArray();

    /// <summary>Samples [start, start + count) as a (count, 1) tensor (Keras expands a rank-1 column to (batch, 1)).</summary>
    internal Tensor ToTensor(int start, int count)
    {
        var tensor = new Tensor(count, 1);
        Span<float> y = tensor.AsSpan();
        for (int i = 0; i < count; i++)
        {
            y[i] = _floats is not null ? _floats[start + i] : _integers![start + i];
        }

        return tensor;
    }
}
