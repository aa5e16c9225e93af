namespace NeuralNet.Layers;

/// <summary>The permutation of a batch that <see cref="MixUp"/> and <see cref="CutMix"/> pair their images with.</summary>
internal static class BatchOrder
{
    /// <summary>
    /// Keras' <c>random.shuffle(arange(batch))</c>: 0 … batch − 1 shuffled (Fisher-Yates) in <paramref name="buffer"/>,
    /// which grows only for a batch larger than any before.
    /// </summary>
    public static Span<int> Draw(ref int[] buffer, int batch, SeededRandom random)
    {
        if (buffer.Length < batch)
        {
            buffer = new int[batch];
        }

        Span<int> order = buffer.AsSpan(0, batch);
        for (int i = 0; i < batch; i++)
        {
            order[i] = i;
        }

        random.Shuffle(order);
        return order;
    }
}
