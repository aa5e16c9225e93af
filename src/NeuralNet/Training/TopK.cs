namespace NeuralNet.Training;

/// <summary>
/// The indices of the k largest values of a row, as Keras' <c>ops.top_k</c> picks them (largest first; of equal values the
/// lower index first, as TensorFlow's and JAX's top_k do), for the top-k filter of <see cref="Precision"/> and
/// <see cref="Recall"/>.
/// </summary>
internal static class TopK
{
    // row is (n), top is (k), k <= n. O(n k) with no allocation: top is kept sorted while the row is scanned once, and a
    // value enters only when strictly larger than the smallest kept one, so of equal values the earlier index stays.
    // A NaN never compares larger, so it is kept only while fewer than k values have been seen.
    public static void Select(ReadOnlySpan<float> row, Span<int> top)
    {
        int k = top.Length;
        if (k > row.Length)
        {
            throw new ArgumentException($"top k of {k} for a row of {row.Length} values.", nameof(top));
        }

        int count = 0;
        for (int i = 0; i < row.Length; i++)
        {
            float value = row[i];
            if (count == k && !(value > row[top[k - 1]]))
            {
                continue;
            }

            // Insert i after every kept value it is not larger than; the last one falls off when full.
            int position = count < k ? count : k - 1;
            while (position > 0 && value > row[top[position - 1]])
            {
                top[position] = top[position - 1];
                position--;
            }

            top[position] = i;
            count = Math.Min(count + 1, k);
        }
    }

    /// <summary>The reference: every index ordered by value (largest first, then by index), the first k of them.</summary>
    public static int[] SelectReference(ReadOnlySpan<float> row, int k)
    {
        float[] values = row.ToArray();
        return [.. Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k)];
    }
}
