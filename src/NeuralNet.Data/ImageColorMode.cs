namespace NeuralNet.Data;

/// <summary>The channels an image is converted to, Keras' <c>color_mode</c>.</summary>
public enum ImageColorMode
{
    /// <summary>Three channels, red, green, blue (Keras' "rgb", the default); an alpha channel is dropped.</summary>
    Rgb,

    /// <summary>
    /// One channel, the luma 0.299 R + 0.587 G + 0.114 B (Keras' "grayscale"). For a colour PNG with 8-bit channels and
    /// no gAMA, sRGB or iCCP chunk, exactly TensorFlow's value (Keras' default <c>format="tf"</c>): libpng's weights
    /// truncated to 15 bits and the sum truncated, (10, 200, 30) giving 123. For other images (JPEG, BMP, GIF, 16-bit
    /// or colour-managed PNG), PIL's <c>convert("L")</c> of the decoded colours, rounded (124 for the same pixel), as
    /// Keras' <c>format="grain"</c> path computes it; TensorFlow's differ there (libjpeg's stored Y channel for a JPEG,
    /// a conversion in linear light for a PNG with an sRGB or gAMA chunk). Grey images keep their values.
    /// </summary>
    Grayscale,

    /// <summary>Four channels, red, green, blue and alpha (255 for images without alpha) (Keras' "rgba").</summary>
    Rgba,
}
