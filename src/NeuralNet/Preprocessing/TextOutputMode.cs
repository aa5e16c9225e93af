namespace NeuralNet.Preprocessing;

/// <summary>What <see cref="TextVectorization.Transform"/> returns for each text (Keras' <c>output_mode</c>).</summary>
public enum TextOutputMode
{
    /// <summary>The id of every token, in order: (texts, length); 0 is padding, 1 an out-of-vocabulary token (<c>"int"</c>, Keras' default).</summary>
    Int,

    /// <summary>1 for every vocabulary entry present in the text, else 0: (texts, vocabulary size) (<c>"multi_hot"</c>).</summary>
    MultiHot,

    /// <summary>How many times each vocabulary entry occurs in the text: (texts, vocabulary size) (<c>"count"</c>).</summary>
    Count,

    /// <summary>The counts times each entry's inverse document frequency learned by <see cref="TextVectorization.Adapt"/>: (texts, vocabulary size) (<c>"tf_idf"</c>).</summary>
    TfIdf,
}
