using System.Globalization;
using System.Numerics.Tensors;

namespace NeuralNet.Layers;

/// <summary>
/// The row lookup shared by <see cref="Embedding"/> and <see cref="ReversibleEmbedding"/>: ids held in floats checked,
/// rows gathered, and their gradients scattered back (repeated ids accumulate).
/// </summary>
internal static class EmbeddingRows
{
    /// <summary>Throws unless every id is a whole number in [0, <paramref name="inputDim"/>), naming the sample and position.</summary>
    /// <param name="ids">The batch's ids, (batch, ...) flattened.</param>
    /// <param name="inputDim">The number of rows.</param>
    /// <param name="perSample">The ids per sample.</param>
    /// <param name="layer">The layer, named by the message (described only then: a description is a new string).</param>
    public static void CheckIds(ReadOnlySpan<float> ids, int inputDim, int perSample, Layer layer)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            float id = ids[i];
            if (!(id >= 0 && id < inputDim && id == MathF.Floor(id)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{layer.Description} expects whole-number ids in [0, {inputDim}) but row {i / perSample} of its batch of {ids.Length / perSample} holds {id} at position {i % perSample}."), "input");
            }
        }
    }

    // ids (n), table (inputDim, d), destination (n, d): destination[i] = table[ids[i]].
    public static void Gather(ReadOnlySpan<float> ids, ReadOnlySpan<float> table, int d, Span<float> destination)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            table.Slice((int)ids[i] * d, d).CopyTo(destination.Slice(i * d, d));
        }
    }

    // ids (n), outputGradient (n, d), tableGradient (inputDim, d): tableGradient[ids[i]] += outputGradient[i].
    public static void ScatterAdd(ReadOnlySpan<float> ids, ReadOnlySpan<float> outputGradient, int d, Span<float> tableGradient)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            Span<float> row = tableGradient.Slice((int)ids[i] * d, d);
            TensorPrimitives.Add(row, outputGradient.Slice(i * d, d), row);
        }
    }

    // Keras' mask_zero: 0 where the id is 0 (padding), 1 elsewhere.
    public static void NonZeroMask(ReadOnlySpan<float> ids, Span<float> mask)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            mask[i] = ids[i] == 0f ? 0f : 1f;
        }
    }
}
