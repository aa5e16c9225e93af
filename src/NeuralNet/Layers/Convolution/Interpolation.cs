namespace NeuralNet.Layers;

/// <summary>
/// How <see cref="UpSampling2D"/>, <see cref="Resizing"/> and the affine augmentation layers (<see cref="RandomRotation"/>,
/// <see cref="RandomZoom"/>, <see cref="RandomTranslation"/>) compute a pixel from the input (Keras' <c>interpolation</c>).
/// </summary>
public enum Interpolation
{
    /// <summary>Takes the nearest input pixel (Keras <c>"nearest"</c>); upsampling repeats each pixel.</summary>
    Nearest,

    /// <summary>Blends the two nearest rows and columns (Keras <c>"bilinear"</c>; resizing uses half-pixel centers, as tf.image.resize).</summary>
    Bilinear,
}
