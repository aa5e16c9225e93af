using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The mean of each channel over every step (Keras' <c>GlobalAveragePooling1D</c>): (batch, steps, channels) -> (batch, channels). With a mask on the input (from <see cref="Embedding.MaskZero"/> or <see cref="Masking"/>) the mean is over the unmasked steps only, as in Keras, and the output has no mask.</summary>
public sealed class GlobalAveragePooling1D(string? name = null) : GlobalPooling(name)
{
    /// <inheritdoc/>
    public override string DefaultNamePrefix => "global_average_pooling1d";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    private protected override int SampleRank => 2;

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => null;

    private protected override bool TakesMaximum => false;

    internal static GlobalAveragePooling1D FromConfig(Config config) => new(ReadName(config));
}
