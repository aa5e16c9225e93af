using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

// The row-wise pieces of attention that are not products (the products run on Gemm): the masked softmax over the keys
// and its backward pass. Rows are contiguous runs of `columns` floats.
internal static class AttentionKernels
{
    /// <summary>Keras' stand-in for minus infinity (<c>_large_negative_number</c> for float32): a masked score becomes <c>score + (-1e9)</c>.</summary>
    public const float MaskedScore = -1e9f;

    // scores (rows, columns) -> softmax over each row, in place: p = exp(s - max) / sum(exp(s - max)).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxRows(Span<float> values, int rows, int columns)
    {
        if (values.Length < rows * columns)
        {
            throw new ArgumentException($"Softmax of {rows} x {columns} needs {rows * columns} values but got {values.Length}.", nameof(values));
        }

        for (int r = 0; r < rows; r++)
        {
            Span<float> row = values.Slice(r * columns, columns);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            float sum = TensorPrimitives.Sum(row);
            TensorPrimitives.Multiply(row, 1f / sum, row);
        }
    }

    // p, dp (rows, columns) -> ds = p * (dp - sum(p * dp)) per row; ds may be dp.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxBackwardRows(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> probabilityGradient, Span<float> scoreGradient, int rows, int columns)
    {
        int length = rows * columns;
        if (probabilities.Length < length || probabilityGradient.Length < length || scoreGradient.Length < length)
        {
            throw new ArgumentException($"Softmax backward of {rows} x {columns} needs {length} values in every span.", nameof(scoreGradient));
        }

        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> p = probabilities.Slice(r * columns, columns);
            ReadOnlySpan<float> dp = probabilityGradient.Slice(r * columns, columns);
            Span<float> ds = scoreGradient.Slice(r * columns, columns);
            float dot = TensorPrimitives.Dot(p, dp);
            TensorPrimitives.Subtract(dp, dot, ds);
            TensorPrimitives.Multiply(ds, p, ds);
        }
    }

    // The plain twin of SoftmaxRows, in double precision.
    public static void SoftmaxRowsReference(Span<float> values, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = values.Slice(r * columns, columns);
            double max = double.NegativeInfinity;
            foreach (float v in row)
            {
                max = Math.Max(max, v);
            }

            double sum = 0;
            foreach (float v in row)
            {
                sum += Math.Exp(v - max);
            }

            for (int c = 0; c < columns; c++)
            {
                row[c] = (float)(Math.Exp(row[c] - max) / sum);
            }
        }
    }
}
