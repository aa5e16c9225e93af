using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>AdaptiveMaxPooling2D</c>: the largest value of each channel over each adaptive window, (batch, height, width, channels) -> (batch, outputSize.Height, outputSize.Width, channels); see <see cref="AdaptivePooling"/>
/// for the windows.
/// </summary>
/// <example><c>model.Add(new AdaptiveMaxPooling2D((7, 7)));</c></example>
public sealed class AdaptiveMaxPooling2D : AdaptivePooling
{
    /// <summary>Creates the layer with the same output size along every axis (Keras' integer <c>output_size</c>).</summary>
    /// <param name="outputSize">The output's size along each spatial axis, at least 1.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>adaptive_max_pooling2d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is below 1.</exception>
    public AdaptiveMaxPooling2D(int outputSize, string? name = null)
        : base((1, outputSize, outputSize), 2, name)
    {
    }

    /// <summary>Creates the layer.</summary>
    /// <param name="outputSize">The output's (height, width), each at least 1.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>adaptive_max_pooling2d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public AdaptiveMaxPooling2D((int Height, int Width) outputSize, string? name = null)
        : base((1, outputSize.Height, outputSize.Width), 2, name)
    {
    }

    /// <summary>The output's (height, width).</summary>
    public (int Height, int Width) OutputSize => (Volume.Height, Volume.Width);

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "adaptive_max_pooling2d";

    private protected override bool TakesMaximum => true;

    internal static AdaptiveMaxPooling2D FromConfig(Config config)
    {
        (_, int height, int width) = ReadOutputSize(config, 2);
        return new AdaptiveMaxPooling2D((height, width), config.GetString("name"));
    }
}
