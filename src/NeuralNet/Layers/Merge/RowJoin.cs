namespace NeuralNet.Layers;

/// <summary>
/// The copies of joining inputs along one axis (<see cref="Concatenate"/>, <see cref="Stack"/>): with every axis before
/// the joined one folded into rows, input i is (rows, chunk_i) and the output (rows, sum of the chunks), input i's chunk
/// of each row at offset chunk_0 + ... + chunk_(i-1).
/// </summary>
internal static class RowJoin
{
    // y (rows, outRow) = [x_0 (rows, chunk_0) | x_1 (rows, chunk_1) | ...].
    public static void Join(ReadOnlySpan<Tensor> inputs, ReadOnlySpan<int> chunks, Span<float> y)
    {
        int outRow = 0;
        foreach (int chunk in chunks)
        {
            outRow += chunk;
        }

        int rows = y.Length / outRow, offset = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            int chunk = chunks[i];
            ReadOnlySpan<float> x = inputs[i].AsReadOnlySpan();
            for (int r = 0; r < rows; r++)
            {
                x.Slice(r * chunk, chunk).CopyTo(y.Slice((r * outRow) + offset, chunk));
            }

            offset += chunk;
        }
    }

    // dx (rows, chunk) = the columns offset .. offset + chunk of dy (rows, outRow).
    public static void Take(ReadOnlySpan<float> dy, int outRow, int offset, int chunk, Span<float> dx)
    {
        int rows = dy.Length / outRow;
        for (int r = 0; r < rows; r++)
        {
            dy.Slice((r * outRow) + offset, chunk).CopyTo(dx.Slice(r * chunk, chunk));
        }
    }
}
