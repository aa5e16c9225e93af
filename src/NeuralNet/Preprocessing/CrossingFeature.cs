using System.Text;
using NeuralNet.Layers;

namespace NeuralNet.Preprocessing;

/// <summary>
/// One feature column for <see cref="StringHashedCrossing"/>: a value per sample, strings or integers (Keras crosses
/// string and integer tensors alike). A string enters the cross as its FarmHash <c>Fingerprint64</c>, an integer as
/// its value itself, as in TensorFlow's <c>cross_hashed</c>.
/// </summary>
/// <example><c>crossing.Transform(new[] { "A", "B" }, new long[] { 101, 102 })</c> (the arrays convert implicitly).</example>
public sealed class CrossingFeature
{
    private readonly IReadOnlyList<string>? _strings;
    private readonly IReadOnlyList<long>? _integers;

    private CrossingFeature(IReadOnlyList<string>? strings, IReadOnlyList<long>? integers)
    {
        _strings = strings;
        _integers = integers;
    }

    /// <summary>The number of samples.</summary>
    public int Count => _strings?.Count ?? _integers!.Count;

    /// <summary>A column of strings, one per sample.</summary>
    /// <param name="values">The strings.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public static CrossingFeature FromStrings(IReadOnlyList<string> values) => new(values ?? throw new ArgumentNullException(nameof(values)), null);

    /// <summary>A column of integers, one per sample.</summary>
    /// <param name="values">The integers.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public static CrossingFeature FromIntegers(IReadOnlyList<long> values) => new(null, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>A column of strings, as <see cref="FromStrings"/>.</summary>
    /// <param name="values">The strings.</param>
    public static implicit operator CrossingFeature(string[] values) => FromStrings(values);

    /// <summary>A column of integers, as <see cref="FromIntegers"/>.</summary>
    /// <param name="values">The integers.</param>
    public static implicit operator CrossingFeature(long[] values) => FromIntegers(values);

    /// <summary>The value sample <paramref name="index"/> brings to the cross: a string's fingerprint, an integer's bits.</summary>
    internal ulong CrossValue(int index, int feature)
    {
        if (_integers is not null)
        {
            return unchecked((ulong)_integers[index]);
        }

        string value = _strings![index] ?? throw new ArgumentNullException("features", $"Feature {feature} holds null for sample {index}.");
        return FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(value));
    }
}
