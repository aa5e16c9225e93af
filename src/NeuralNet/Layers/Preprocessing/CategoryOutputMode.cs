namespace NeuralNet.Layers;

/// <summary>
/// What a categorical preprocessing layer outputs (Keras' <c>output_mode</c>): the ids themselves, or an encoding of
/// them over a fixed number of categories (the depth).
/// </summary>
/// <remarks>
/// For a batch of samples of shape S (the batch axis first), with depth D:
/// <list type="bullet">
/// <item><see cref="Int"/>: the ids, shape S.</item>
/// <item><see cref="OneHot"/>: a one-hot vector per id, shape S + (D), except that a last axis of size 1 is replaced: S[..^1] + (D).</item>
/// <item><see cref="MultiHot"/>: per sample row (the last axis), 1 for every id present, shape S[..^1] + (D); a scalar sample is a row of one id.</item>
/// <item><see cref="Count"/>: as <see cref="MultiHot"/>, with the number of times each id occurs.</item>
/// <item><see cref="TfIdf"/>: as <see cref="Count"/>, each count multiplied by its index's inverse document frequency (the lookup layers only).</item>
/// </list>
/// </remarks>
public enum CategoryOutputMode
{
    /// <summary>The ids themselves (Keras' <c>"int"</c>).</summary>
    Int,

    /// <summary>A one-hot vector per id (Keras' <c>"one_hot"</c>).</summary>
    OneHot,

    /// <summary>Per row, 1 for every id present (Keras' <c>"multi_hot"</c>, formerly <c>"binary"</c>).</summary>
    MultiHot,

    /// <summary>Per row, how often each id occurs (Keras' <c>"count"</c>).</summary>
    Count,

    /// <summary>
    /// Per row, how often each id occurs times its inverse document frequency (Keras' <c>"tf_idf"</c>): an output mode of
    /// <see cref="IntegerLookup"/> and <see cref="Preprocessing.StringLookup"/> only, whose vocabulary carries the weights.
    /// </summary>
    TfIdf,
}
