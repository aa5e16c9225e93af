namespace NeuralNet.Data;

/// <summary>How images are resized to the requested size, as TensorFlow's <c>tf.image.resize</c> (half-pixel centres, no antialiasing).</summary>
public enum ImageInterpolation
{
    /// <summary>Bilinear interpolation (Keras' default "bilinear").</summary>
    Bilinear,

    /// <summary>The nearest source pixel (Keras' "nearest").</summary>
    Nearest,
}
