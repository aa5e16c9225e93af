namespace NeuralNet.Preprocessing;

/// <summary>How <see cref="TextVectorization"/> standardizes text before splitting it (Keras' <c>standardize</c>).</summary>
public enum TextStandardization
{
    /// <summary>Lowercase ASCII letters and remove ASCII punctuation (<c>"lower_and_strip_punctuation"</c>, Keras' default).</summary>
    LowerAndStripPunctuation,

    /// <summary>Lowercase ASCII letters (<c>"lower"</c>).</summary>
    Lower,

    /// <summary>Remove ASCII punctuation, the 32 characters of <c>!"#$%&amp;'()*+,-./:;&lt;=&gt;?@[\]^_`{|}~</c> (<c>"strip_punctuation"</c>).</summary>
    StripPunctuation,

    /// <summary>Leave the text as it is (Keras' <c>None</c>).</summary>
    None,

    /// <summary>A function of your own (Keras' callable <c>standardize</c>): <see cref="TextVectorization.StandardizeFunction"/>.</summary>
    Custom,
}
