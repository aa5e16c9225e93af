namespace NeuralNet.Preprocessing;

/// <summary>How <see cref="TextVectorization"/> splits standardized text into tokens (Keras' <c>split</c>).</summary>
public enum TextSplit
{
    /// <summary>Split on runs of ASCII whitespace (space, tab, line feed, vertical tab, form feed, carriage return); no empty tokens (<c>"whitespace"</c>, Keras' default).</summary>
    Whitespace,

    /// <summary>One token per Unicode character (code point) (<c>"character"</c>).</summary>
    Character,

    /// <summary>The whole text is one token (Keras' <c>None</c>).</summary>
    None,

    /// <summary>A function of your own (Keras' callable <c>split</c>): <see cref="TextVectorization.SplitFunction"/>.</summary>
    Custom,
}
