using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The mean of each channel over every position (Keras' <c>GlobalAveragePooling3D</c>): (batch, depth, height, width, channels) -> (batch, channels).</summary>
public sealed class GlobalAveragePooling3D(string? name = null) : GlobalPooling(name)
{
    /// <inheritdoc/>
    public override string DefaultNamePrefix => "global_average_pooling3d";

    private protected override int SampleRank => 4;

    private protected override bool TakesMaximum => false;

    internal static GlobalAveragePooling3D FromConfig(Config config) => new(ReadName(config));
}
