using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// The thresholds of the confusion metrics as given (Keras' <c>init_thresholds</c>: none, one number, or a list), checked
/// as Keras' <c>parse_init_thresholds</c> checks them, and what they resolve to (Keras' <c>thresholds</c>).
/// </summary>
internal sealed class ConfusionThresholds
{
    private readonly double[]? _given;
    private readonly bool _givenAsList;

    private ConfusionThresholds(double[]? given, bool givenAsList, double fallback)
    {
        _given = given;
        _givenAsList = givenAsList;
        Values = given ?? [fallback];
        ReadOnlyValues = Array.AsReadOnly(Values);
        EvenlySpaced = IsEvenlyDistributed(Values);
    }

    /// <summary>The thresholds compared with the predictions: the given ones, or the one default.</summary>
    public double[] Values { get; }

    /// <summary><see cref="Values"/> as a view that callers cannot cast back to the array and change.</summary>
    public IReadOnlyList<double> ReadOnlyValues { get; }

    /// <summary>Whether Keras counts these thresholds on its evenly spaced path (<see cref="IsEvenlyDistributed"/>).</summary>
    public bool EvenlySpaced { get; }

    /// <summary>Thresholds given as one number, or none (null), which resolves to <paramref name="fallback"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1].</exception>
    public static ConfusionThresholds One(string metric, double? threshold, double fallback) =>
        new(threshold is double t ? CheckRange(metric, "threshold", [t]) : null, false, fallback);

    /// <summary>Thresholds given as a list.</summary>
    /// <exception cref="ArgumentNullException">The list is null.</exception>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is outside [0, 1].</exception>
    public static ConfusionThresholds List(string metric, IReadOnlyList<double> thresholds, double fallback)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        if (thresholds.Count == 0)
        {
            throw new ArgumentException($"{metric} expects at least one threshold but got an empty list.", nameof(thresholds));
        }

        return new(CheckRange(metric, "thresholds", [.. thresholds]), true, fallback);
    }

    /// <summary>The one threshold; throws when there are several.</summary>
    public double Single(string metric) => Values.Length == 1 ? Values[0]
        : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"{metric} has {Values.Length} thresholds ({Format(Values)}), so it has no single threshold; read Thresholds."));

    /// <summary>Writes Keras' <c>"thresholds"</c>: null when none was given, the number, or the list.</summary>
    public Config Write(Config config) =>
        _given is null ? config.SetNull("thresholds") : _givenAsList ? config.Set("thresholds", (ReadOnlySpan<double>)_given) : config.Set("thresholds", _given[0]);

    /// <summary>The message of a metric with several thresholds asked for one result.</summary>
    public InvalidOperationException SeveralResults(string metric) => new(string.Create(CultureInfo.InvariantCulture,
        $"{metric} has {Values.Length} thresholds ({Format(Values)}) and so {Values.Length} results (Keras' result() is then a vector); read Results(), one per threshold."));

    /// <summary>Refuses, in Compile, a metric with several results: the logs of Fit and Evaluate hold one number per metric.</summary>
    public void CheckOneResult(string metric, string parameterName)
    {
        if (Values.Length > 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The metric {metric} has {Values.Length} thresholds ({Format(Values)}) and so {Values.Length} results, but the logs of Fit and Evaluate hold one number per metric (Keras logs the vector). Give it one threshold, or update it yourself (Update) and read Results()."),
                parameterName);
        }
    }

    /// <summary>Keras' <c>assert_thresholds_range</c>: every value outside [0, 1] named at once ("Received: [-1, 2]").</summary>
    /// <returns><paramref name="thresholds"/>, when all are in range.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is outside [0, 1] or NaN.</exception>
    public static double[] CheckRange(string metric, string parameterName, double[] thresholds)
    {
        double[] invalid = [.. thresholds.Where(t => !(t >= 0 && t <= 1))];
        return invalid.Length == 0 ? thresholds : throw new ArgumentOutOfRangeException(parameterName, string.Create(CultureInfo.InvariantCulture,
            $"{metric} expects threshold values in [0, 1] but got [{Format(invalid)}]."));
    }

    /// <summary>
    /// Keras' <c>is_evenly_distributed_thresholds</c>: at least 3 values, each close to i / (n − 1) computed in float32,
    /// as NumPy's <c>allclose</c> with <c>atol</c> 1e-7 and its default <c>rtol</c> 1e-5 judges.
    /// </summary>
    public static bool IsEvenlyDistributed(ReadOnlySpan<double> thresholds)
    {
        int n = thresholds.Length;
        if (n < 3)
        {
            return false;
        }

        for (int i = 0; i < n; i++)
        {
            double even = (float)i / (float)(n - 1);
            if (!(Math.Abs(thresholds[i] - even) <= 1e-7 + (1e-5 * Math.Abs(even))))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Numbers as a message lists them: invariant culture, comma-separated.</summary>
    public static string Format(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
}
