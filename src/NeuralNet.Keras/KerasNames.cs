using System.Text.RegularExpressions;

namespace NeuralNet.Keras;

/// <summary>The names Keras' saving code gives the groups of a weights file.</summary>
internal static partial class KerasNames
{
    /// <summary>
    /// Keras' <c>naming.to_snake_case</c>: <c>Dense</c> → <c>dense</c>, <c>Conv2DTranspose</c> → <c>conv2d_transpose</c>,
    /// <c>LSTM</c> → <c>lstm</c>, <c>PReLU</c> → <c>p_re_lu</c>.
    /// </summary>
    public static string ToSnakeCase(string className)
    {
        string name = NonWord().Replace(className, string.Empty);
        name = WordStart().Replace(name, "$1_$2");
        return LowerUpper().Replace(name, "$1_$2").ToLowerInvariant();
    }

    /// <summary>
    /// The group names of a list of objects as Keras' <c>_save_container_state</c> gives them: the snake-case class name,
    /// then <c>_1</c>, <c>_2</c>, ... for the next objects of the same class (by position, not by the objects' own names).
    /// </summary>
    public static List<string> ContainerNames(IEnumerable<string> classNames)
    {
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        foreach (string className in classNames)
        {
            string name = ToSnakeCase(className);
            if (used.TryGetValue(name, out int count))
            {
                used[name] = count + 1;
                names.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}_{count + 1}"));
            }
            else
            {
                used[name] = 0;
                names.Add(name);
            }
        }

        return names;
    }

    [GeneratedRegex(@"\W+")]
    private static partial Regex NonWord();

    [GeneratedRegex("(.)([A-Z][a-z]+)")]
    private static partial Regex WordStart();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex LowerUpper();
}
