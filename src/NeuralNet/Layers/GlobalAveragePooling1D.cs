using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The mean of each channel over every step (Keras' <c>GlobalAveragePooling1D</c>, without masks): (batch, steps, channels) -> (batch, channels).</summary>
public sealed class GlobalAveragePooling1D(string? name = null) : GlobalPooling(name)
{
    /// <inheritdoc/>
    public override string DefaultNamePrefix => "global_average_pooling1d";

    private protected override int SampleRank => 2;

    private protected override bool TakesMaximum => false;

    internal static GlobalAveragePooling1D FromConfig(Config config) => new(ReadName(config));
}
