using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The largest value of each window of steps, per channel (Keras' <c>MaxPooling1D</c>); see <see cref="Pooling1D"/>.</summary>
public sealed class MaxPooling1D : Pooling1D
{
    /// <summary>Creates the layer.</summary>
    /// <param name="poolSize">The window length.</param>
    /// <param name="strides">The step between windows; the window length when null.</param>
    /// <param name="padding">Valid or Same.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>max_pooling1d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or the padding is not Valid or Same.</exception>
    public MaxPooling1D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        : base(poolSize, strides, padding, name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "max_pooling1d";

    private protected override bool TakesMaximum => true;

    internal static MaxPooling1D FromConfig(Config config)
    {
        (int poolSize, int? strides, Padding padding) = ReadConfig(config);
        return new MaxPooling1D(poolSize, strides, padding, config.GetString("name"));
    }
}
