namespace NeuralNet.Data;

/// <summary>The channels an image is converted to, Keras' <c>color_mode</c>.</summary>
public enum ImageColorMode
{
    /// <summary>Three channels, red, green, blue (Keras' "rgb", the default); an alpha channel is dropped.</summary>
    Rgb,

    /// <summary>One channel, the luma 0.299 R + 0.587 G + 0.114 B rounded to an integer as PIL's <c>convert("L")</c> (Keras' "grayscale").</summary>
    Grayscale,

    /// <summary>Four channels, red, green, blue and alpha (255 for images without alpha) (Keras' "rgba").</summary>
    Rgba,
}
