namespace NeuralNet.Layers;

/// <summary>How <see cref="UpSampling2D"/> fills the new pixels (Keras' <c>interpolation</c>).</summary>
public enum Interpolation
{
    /// <summary>Repeats each pixel (Keras <c>"nearest"</c>).</summary>
    Nearest,

    /// <summary>Blends the two nearest rows and columns with half-pixel centers (Keras <c>"bilinear"</c>, as tf.image.resize).</summary>
    Bilinear,
}
