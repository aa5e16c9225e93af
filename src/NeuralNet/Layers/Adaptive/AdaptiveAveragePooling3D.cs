using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>AdaptiveAveragePooling3D</c>: the mean of each channel over each adaptive window, (batch, depth, height, width, channels) -> (batch, outputSize.Depth, outputSize.Height, outputSize.Width, channels); see <see cref="AdaptivePooling"/>
/// for the windows.
/// </summary>
/// <example><c>model.Add(new AdaptiveAveragePooling3D((2, 4, 4)));</c></example>
public sealed class AdaptiveAveragePooling3D : AdaptivePooling
{
    /// <summary>Creates the layer with the same output size along every axis (Keras' integer <c>output_size</c>).</summary>
    /// <param name="outputSize">The output's size along each spatial axis, at least 1.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>adaptive_average_pooling3d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is below 1.</exception>
    public AdaptiveAveragePooling3D(int outputSize, string? name = null)
        : base((outputSize, outputSize, outputSize), 3, name)
    {
    }

    /// <summary>Creates the layer.</summary>
    /// <param name="outputSize">The output's (depth, height, width), each at least 1.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>adaptive_average_pooling3d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public AdaptiveAveragePooling3D((int Depth, int Height, int Width) outputSize, string? name = null)
        : base(outputSize, 3, name)
    {
    }

    /// <summary>The output's (depth, height, width).</summary>
    public (int Depth, int Height, int Width) OutputSize => Volume;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "adaptive_average_pooling3d";

    private protected override bool TakesMaximum => false;

    internal static AdaptiveAveragePooling3D FromConfig(Config config)
    {
        return new AdaptiveAveragePooling3D(ReadOutputSize(config, 3), config.GetString("name"));
    }
}
