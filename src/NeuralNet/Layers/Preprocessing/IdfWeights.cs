using System.Globalization;
using System.Numerics.Tensors;

namespace NeuralNet.Layers;

/// <summary>
/// The inverse document frequencies of Keras' <c>"tf_idf"</c> output mode, shared by <see cref="IntegerLookup"/>,
/// <see cref="Preprocessing.StringLookup"/> and <see cref="Preprocessing.TextVectorization"/> (Keras' <c>IndexLookup</c>,
/// which all three are built on): learned as log(1 + documents / (1 + documents holding the token)), or given with a
/// vocabulary; the special indices before the tokens (OOV, and padding in TextVectorization's Int mode) get the mean of
/// the tokens' weights when they have none of their own.
/// </summary>
internal static class IdfWeights
{
    /// <summary>
    /// Keras' <c>finalize_state</c> in TF-IDF mode: one weight per index, <paramref name="tokenStart"/> special indices
    /// (the mean of the tokens' weights: Keras cannot compute the OOV tokens' in one pass) then one per learned token.
    /// </summary>
    /// <param name="documents">The number of documents adapted on.</param>
    /// <param name="documentCounts">For each learned token in index order, the number of documents that hold it.</param>
    /// <param name="tokenStart">The index of the first learned token.</param>
    public static float[] Learned(long documents, ReadOnlySpan<long> documentCounts, int tokenStart)
    {
        var idf = new float[tokenStart + documentCounts.Length];
        double sum = 0;
        for (int k = 0; k < documentCounts.Length; k++)
        {
            // Keras' _inverse_document_frequency in float64 (int64 / int64 divides in float64), stored in float32.
            idf[tokenStart + k] = (float)Math.Log(1 + ((double)documents / (1 + documentCounts[k])));
            sum += idf[tokenStart + k];
        }

        idf.AsSpan(0, tokenStart).Fill(documentCounts.IsEmpty ? 0f : (float)(sum / documentCounts.Length));
        return idf;
    }

    /// <summary>
    /// Keras' <c>set_vocabulary</c> with <c>idf_weights</c>: one weight per entry of the given vocabulary; when the
    /// vocabulary left out its special tokens, the <paramref name="tokenStart"/> special indices get the weights' mean
    /// (Keras' <c>np.average</c>). Nothing is kept when the weights are refused.
    /// </summary>
    /// <param name="given">The weights as given.</param>
    /// <param name="entries">The number of entries of the vocabulary as given (special tokens included when it held them).</param>
    /// <param name="hasSpecialTokens">Whether the vocabulary began with its special tokens, whose weights are then given.</param>
    /// <param name="tokenStart">The index of the first token.</param>
    /// <param name="parameterName">The parameter the weights came from, named in errors.</param>
    /// <returns>One weight per index, the special indices first.</returns>
    /// <exception cref="ArgumentException">The weights are not one per entry, or one is not finite.</exception>
    public static float[] Given(float[] given, int entries, bool hasSpecialTokens, int tokenStart, string parameterName)
    {
        if (given.Length != entries)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{parameterName} must be the same length as the vocabulary: it has {given.Length} weights for {entries} vocabulary entries."), parameterName);
        }

        // Keras takes any float: negative weights are legitimate (a probabilistic idf, log((n - df) / df), is negative for
        // frequent terms); a NaN or an infinity would turn every count into one, so only those are refused.
        int bad = Array.FindIndex(given, w => !float.IsFinite(w));
        if (bad >= 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{parameterName}[{bad}] is {given[bad]}; inverse document frequencies must be finite."), parameterName);
        }

        if (hasSpecialTokens)
        {
            return [.. given];
        }

        var idf = new float[tokenStart + given.Length];
        idf.AsSpan(0, tokenStart).Fill(given.Length == 0 ? 0f : (float)given.Average(w => (double)w));
        given.CopyTo(idf, tokenStart);
        return idf;
    }

    /// <summary>
    /// Turns count rows into TF-IDF rows in place: each row of <paramref name="depth"/> counts multiplied by the weights
    /// (a row wider than the weights, padded to <c>max_tokens</c>, keeps its zeros there, as Keras pads the weights with 0).
    /// </summary>
    /// <param name="rows">Rows of <paramref name="depth"/> counts.</param>
    /// <param name="depth">The length of a row, at least the number of weights.</param>
    /// <param name="idf">One weight per index.</param>
    public static void Apply(Span<float> rows, int depth, ReadOnlySpan<float> idf)
    {
        for (int start = 0; start < rows.Length; start += depth)
        {
            Span<float> row = rows.Slice(start, idf.Length);
            TensorPrimitives.Multiply(row, idf, row);
        }
    }
}
