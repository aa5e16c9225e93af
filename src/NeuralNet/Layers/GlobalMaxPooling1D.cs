using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The largest value of each channel over every step (Keras' <c>GlobalMaxPooling1D</c>): (batch, steps, channels) -> (batch, channels).</summary>
public sealed class GlobalMaxPooling1D(string? name = null) : GlobalPooling(name)
{
    /// <inheritdoc/>
    public override string DefaultNamePrefix => "global_max_pooling1d";

    private protected override int SampleRank => 2;

    private protected override bool TakesMaximum => true;

    internal static GlobalMaxPooling1D FromConfig(Config config) => new(ReadName(config));
}
