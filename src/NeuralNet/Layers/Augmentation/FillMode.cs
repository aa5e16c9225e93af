namespace NeuralNet.Layers;

/// <summary>
/// How <see cref="RandomRotation"/>, <see cref="RandomZoom"/>, <see cref="RandomTranslation"/> and
/// <see cref="RandomShear"/> and <see cref="RandomElasticTransform"/> fill the points that fall outside the input image
/// (Keras' <c>fill_mode</c>, <c>keras.ops.image.affine_transform</c> and <c>map_coordinates</c>); <see cref="RandomPerspective"/>
/// always fills with its constant.
/// </summary>
public enum FillMode
{
    /// <summary>Reflects about the edge of the last pixel: <c>(d c b a | a b c d | d c b a)</c> (Keras <c>"reflect"</c>, the default).</summary>
    Reflect,

    /// <summary>Wraps around to the opposite edge: <c>(a b c d | a b c d | a b c d)</c> (Keras <c>"wrap"</c>).</summary>
    Wrap,

    /// <summary>Fills with the layer's fill value k: <c>(k k k k | a b c d | k k k k)</c> (Keras <c>"constant"</c>).</summary>
    Constant,

    /// <summary>Repeats the nearest edge pixel: <c>(a a a a | a b c d | d d d d)</c> (Keras <c>"nearest"</c>).</summary>
    Nearest,
}
