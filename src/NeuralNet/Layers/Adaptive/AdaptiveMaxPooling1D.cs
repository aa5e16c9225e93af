using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>AdaptiveMaxPooling1D</c>: the largest value of each channel over each adaptive window, (batch, steps, channels) -> (batch, outputSize, channels); see <see cref="AdaptivePooling"/>
/// for the windows.
/// </summary>
/// <example><c>model.Add(new AdaptiveMaxPooling1D(8));</c></example>
public sealed class AdaptiveMaxPooling1D : AdaptivePooling
{
    /// <summary>Creates the layer.</summary>
    /// <param name="outputSize">The output's number of steps, at least 1.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>adaptive_max_pooling1d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public AdaptiveMaxPooling1D(int outputSize, string? name = null)
        : base((1, 1, outputSize), 1, name)
    {
    }

    /// <summary>The output's number of steps.</summary>
    public int OutputSize => Volume.Width;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "adaptive_max_pooling1d";

    private protected override bool TakesMaximum => true;

    internal static AdaptiveMaxPooling1D FromConfig(Config config)
    {
        return new AdaptiveMaxPooling1D(ReadOutputSize(config, 1).Width, config.GetString("name"));
    }
}
