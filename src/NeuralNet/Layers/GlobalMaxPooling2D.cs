using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The largest value of each channel over every pixel (Keras' <c>GlobalMaxPooling2D</c>): (batch, height, width, channels) -> (batch, channels).</summary>
public sealed class GlobalMaxPooling2D(string? name = null) : GlobalPooling(name)
{
    /// <inheritdoc/>
    public override string DefaultNamePrefix => "global_max_pooling2d";

    private protected override int SampleRank => 3;

    private protected override bool TakesMaximum => true;

    internal static GlobalMaxPooling2D FromConfig(Config config) => new(ReadName(config));
}
