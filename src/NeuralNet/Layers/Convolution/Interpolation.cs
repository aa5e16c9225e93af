namespace NeuralNet.Layers;

/// <summary>
/// How <see cref="UpSampling2D"/>, <see cref="Resizing"/> and the affine augmentation layers (<see cref="RandomRotation"/>,
/// <see cref="RandomZoom"/>, <see cref="RandomTranslation"/>) compute a pixel from the input (Keras' <c>interpolation</c>).
/// </summary>
/// <remarks>
/// The affine augmentation layers take <see cref="Nearest"/> and <see cref="Bilinear"/> only, as Keras' affine_transform;
/// <see cref="Resizing"/> and <see cref="UpSampling2D"/> take every value (Keras' TensorFlow backend; Keras' UpSampling2D
/// passes its interpolation on unchecked, so <see cref="Area"/> runs there too). The resize formulas are tf.image.resize's with half-pixel centers.
/// </remarks>
public enum Interpolation
{
    /// <summary>Takes the nearest input pixel (Keras <c>"nearest"</c>); upsampling repeats each pixel.</summary>
    Nearest,

    /// <summary>Blends the two nearest rows and columns (Keras <c>"bilinear"</c>; resizing uses half-pixel centers, as tf.image.resize).</summary>
    Bilinear,

    /// <summary>
    /// Keys' cubic convolution with a = −0.5 over the four nearest rows and columns (Keras <c>"bicubic"</c>), taps outside
    /// the image dropped and the rest renormalized, as tf.image.resize (whose 1024-entry coefficient table is reproduced).
    /// </summary>
    Bicubic,

    /// <summary>The Lanczos kernel of radius 3 (Keras <c>"lanczos3"</c>), as tf.image.resize's scale_and_translate.</summary>
    Lanczos3,

    /// <summary>The Lanczos kernel of radius 5 (Keras <c>"lanczos5"</c>), as tf.image.resize's scale_and_translate.</summary>
    Lanczos5,

    /// <summary>
    /// Averages the input area each output pixel covers (Keras <c>"area"</c>, TensorFlow backend only: tf.image.resize's
    /// ResizeArea; it always antialiases).
    /// </summary>
    Area,
}
