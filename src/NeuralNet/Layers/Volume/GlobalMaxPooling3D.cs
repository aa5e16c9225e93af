using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The largest value of each channel over every position (Keras' <c>GlobalMaxPooling3D</c>): (batch, depth, height, width, channels) -> (batch, channels).</summary>
public sealed class GlobalMaxPooling3D(string? name = null) : GlobalPooling(name)
{
    /// <inheritdoc/>
    public override string DefaultNamePrefix => "global_max_pooling3d";

    private protected override int SampleRank => 4;

    private protected override bool TakesMaximum => true;

    internal static GlobalMaxPooling3D FromConfig(Config config) => new(ReadName(config));
}
