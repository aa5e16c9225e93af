namespace NeuralNet.Plotting;

/// <summary>Argument checks shared by the charts; messages name the argument, the offending value and what was expected.</summary>
internal static class Check
{
    /// <summary>Throws when the title is null (an empty title draws no title band).</summary>
    public static void Title(string title, string parameterName = "title") => ArgumentNullException.ThrowIfNull(title, parameterName);

    /// <summary>Throws when a label is null.</summary>
    public static void Label(string label, string parameterName) => ArgumentNullException.ThrowIfNull(label, parameterName);

    /// <summary>Throws when a list of names is null, empty, or holds a null or blank name.</summary>
    public static void Names(IReadOnlyList<string> names, string parameterName, string what)
    {
        ArgumentNullException.ThrowIfNull(names, parameterName);
        if (names.Count == 0)
        {
            throw new ArgumentException($"No {what} given; expected at least one.", parameterName);
        }

        for (int i = 0; i < names.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(names[i]))
            {
                throw new ArgumentException($"The {what} at index {i} is null or blank.", parameterName);
            }
        }
    }

    /// <summary>Throws when any value is NaN or infinite.</summary>
    public static void Finite(IReadOnlyList<double> values, string parameterName, string what)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ArgumentException($"{what} has a non-finite value {values[i]} at index {i}; expected finite numbers.", parameterName);
            }
        }
    }

    /// <summary>
    /// Throws when the dictionary of named series is null or empty, or a series is null or empty; returns the longest length.
    /// </summary>
    public static int Series(IReadOnlyDictionary<string, IReadOnlyList<double>> series, string parameterName, string what)
    {
        ArgumentNullException.ThrowIfNull(series, parameterName);
        if (series.Count == 0)
        {
            throw new ArgumentException($"No {what} given; expected at least one named series.", parameterName);
        }

        int longest = 0;
        foreach (KeyValuePair<string, IReadOnlyList<double>> pair in series)
        {
            if (string.IsNullOrWhiteSpace(pair.Key))
            {
                throw new ArgumentException($"A {what} has a blank name.", parameterName);
            }

            if (pair.Value is null)
            {
                throw new ArgumentException($"The {what} '{pair.Key}' is null; expected a list of values.", parameterName);
            }

            if (pair.Value.Count == 0)
            {
                throw new ArgumentException($"The {what} '{pair.Key}' has no values; expected at least one.", parameterName);
            }

            longest = Math.Max(longest, pair.Value.Count);
        }

        return longest;
    }
}
