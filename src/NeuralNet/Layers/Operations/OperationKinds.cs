using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The config form of the operation layers' kinds: an enum value as its lower-case name (<c>"mean"</c>, <c>"sqrt"</c>).</summary>
internal static class OperationKinds
{
    public static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <exception cref="InvalidDataException">The config's value is not one of the names.</exception>
    public static T Read<T>(Config config, string key)
        where T : struct, Enum
    {
        string text = config.GetString(key);
        foreach (T value in Enum.GetValues<T>())
        {
            if (Name(value) == text)
            {
                return value;
            }
        }

        throw config.Error($"Invalid value for argument {key}. Expected one of {{{string.Join(", ", Enum.GetValues<T>().Select(v => $"'{Name(v)}'"))}}}. Received: {key}={text}");
    }

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not a named value of the enum.</exception>
    public static T Check<T>(T value, string parameter)
        where T : struct, Enum =>
        Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(parameter, value, $"Expected one of {string.Join(", ", Enum.GetNames<T>())}.");
}
