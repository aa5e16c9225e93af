namespace NeuralNet.Layers;

/// <summary>Which axes <see cref="RandomFlip"/> flips (Keras' <c>mode</c>).</summary>
public enum FlipMode
{
    /// <summary>Left-right flips (Keras <c>"horizontal"</c>).</summary>
    Horizontal,

    /// <summary>Top-bottom flips (Keras <c>"vertical"</c>).</summary>
    Vertical,

    /// <summary>
    /// Both at once (Keras <c>"horizontal_and_vertical"</c>, the default): as in Keras 3, one draw per image decides, so
    /// an image is either left alone or flipped on both axes (turned by 180°).
    /// </summary>
    HorizontalAndVertical,
}
