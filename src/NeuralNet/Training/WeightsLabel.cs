using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// How messages name sample weights: <c>sampleWeight</c>, <c>sampleWeight[1]</c> or <c>sampleWeight['b']</c>. The text is
/// made only when a message needs it, so that a custom loop's warm step with weights by output allocates nothing.
/// </summary>
/// <param name="Parameter">The parameter the weights came in (<c>sampleWeight</c>, <c>validationSampleWeight</c>).</param>
/// <param name="Key">The output's name when the weights were given by name; null otherwise.</param>
/// <param name="Index">The output's position when the weights were given as a list of one per output; -1 for weights of every output.</param>
internal readonly record struct WeightsLabel(string Parameter, string? Key = null, int Index = -1)
{
    /// <summary>A label for weights that weigh every output, named by the parameter alone.</summary>
    public static implicit operator WeightsLabel(string parameter) => new(parameter);

    /// <summary>The label as messages write it.</summary>
    public override string ToString() =>
        Key is not null ? $"{Parameter}['{Key}']"
        : Index >= 0 ? string.Create(CultureInfo.InvariantCulture, $"{Parameter}[{Index}]")
        : Parameter;
}
