using NeuralNet.Layers;

namespace NeuralNet.Tests.Layers.Lora;

/// <summary>
/// Keras' effective weight in double loops: <c>W + (lora_alpha / lora_rank) · A·B</c> (keras/src/layers/core/dense.py,
/// the <c>kernel</c> property; einsum_dense.py and embedding.py the same), with W read as (rows, its last axis).
/// </summary>
internal static class LoraReference
{
    public static double[] Merged(ILoraLayer layer)
    {
        Parameter w = layer.LoraTarget, a = layer.LoraA!, b = layer.LoraB!;
        int columns = w.Shape[-1], rows = w.Value.Length / columns, rank = layer.LoraRank!.Value;
        double scale = (double)layer.LoraAlpha!.Value / rank;
        ReadOnlySpan<float> wv = w.Value.AsReadOnlySpan(), av = a.Value.AsReadOnlySpan(), bv = b.Value.AsReadOnlySpan();
        var merged = new double[rows * columns];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                double sum = 0;
                for (int k = 0; k < rank; k++)
                {
                    sum += (double)av[i * rank + k] * bv[k * columns + j];
                }

                merged[i * columns + j] = wv[i * columns + j] + scale * sum;
            }
        }

        return merged;
    }

    /// <summary>Fills A and B with seeded normal values, so that both gradients are non-zero (B starts at zeros).</summary>
    public static void Randomize(ILoraLayer layer, long seed)
    {
        Tensor.RandomNormal(layer.LoraA!.Shape, seed, 0f, 0.5f).CopyTo(layer.LoraA.Value);
        Tensor.RandomNormal(layer.LoraB!.Shape, seed + 1, 0f, 0.5f).CopyTo(layer.LoraB.Value);
    }

    public static int[] Bits(Tensor t) => [.. t.ToArray().Select(BitConverter.SingleToInt32Bits)];

    /// <summary>
    /// Every value within 1e-5 of the expected one: the layers compute Keras' <c>x·(W + scale·A·B)</c> as
    /// <c>x·W + scale·(x·A)·B</c>, the same value with other float32 roundings.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance = 1e-5)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Xunit.Assert.Equal(expected[i], actual[i], tolerance);
        }
    }
}
