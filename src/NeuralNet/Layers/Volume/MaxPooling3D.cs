using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The largest value of each 3-D window, per channel (Keras' <c>MaxPooling3D</c>); see <see cref="Pooling3D"/>.</summary>
/// <example><c>model.Add(new MaxPooling3D((1, 2, 2)));</c></example>
public sealed class MaxPooling3D : Pooling3D
{
    /// <summary>Creates the layer with a cubic window.</summary>
    /// <param name="poolSize">The window's depth, height and width.</param>
    /// <param name="strides">The step between windows along every axis; the pool size when null.</param>
    /// <param name="padding">Valid or Same.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>max_pooling3d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or the padding is not Valid or Same.</exception>
    public MaxPooling3D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        : base((poolSize, poolSize, poolSize), strides is int s ? (s, s, s) : null, padding, name)
    {
    }

    /// <summary>Creates the layer with a box-shaped window.</summary>
    /// <param name="poolSize">The window's (depth, height, width).</param>
    /// <param name="strides">The step between windows along each axis; the pool size when null.</param>
    /// <param name="padding">Valid or Same.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>max_pooling3d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or the padding is not Valid or Same.</exception>
    public MaxPooling3D((int Depth, int Height, int Width) poolSize, (int Depth, int Height, int Width)? strides = null, Padding padding = Padding.Valid, string? name = null)
        : base(poolSize, strides, padding, name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "max_pooling3d";

    private protected override bool TakesMaximum => true;

    internal static MaxPooling3D FromConfig(Config config)
    {
        ((int, int, int) poolSize, (int, int, int)? strides, Padding padding) = ReadConfig(config);
        return new MaxPooling3D(poolSize, strides, padding, config.GetString("name"));
    }
}
