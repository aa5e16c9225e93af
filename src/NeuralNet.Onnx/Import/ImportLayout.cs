namespace NeuralNet.Onnx.Import;

/// <summary>ONNX's channels-first layout against NeuralNet's channels-last one: axes and weight transposes.</summary>
internal static class ImportLayout
{
    /// <summary>
    /// NeuralNet's axis (batch counted, as Keras' <c>axis</c>) of ONNX axis <paramref name="axis"/> (already made
    /// non-negative) of a value of rank <paramref name="rank"/>: for an image (N, C, H, W) is held as (N, H, W, C).
    /// </summary>
    public static int Axis(int axis, int rank, bool image) => !image || rank != 4 ? axis : axis switch
    {
        1 => 3,
        2 => 1,
        3 => 2,
        _ => axis,
    };

    /// <summary>ONNX axis <paramref name="axis"/> (negative counts from the end) made non-negative; null for the batch axis or one outside the rank.</summary>
    public static int? SampleAxis(long axis, int rank)
    {
        long resolved = axis < 0 ? axis + rank : axis;
        return resolved >= 1 && resolved < rank ? (int)resolved : null;
    }

    /// <summary>The Keras <c>axis</c> argument for sample axis <paramref name="axis"/> of <see cref="SampleAxis"/>: <see cref="Axis"/>, the last as −1.</summary>
    public static int KerasAxis(int axis, int rank, bool image)
    {
        int keras = Axis(axis, rank, image);
        return keras == rank - 1 ? -1 : keras;
    }

    /// <summary>The ONNX (C, H, W) index of each feature of an (H, W, C) image flattened channels last: <see cref="ImportedValue.RowOrder"/>.</summary>
    public static int[] ChannelsFirstOrder(int channels, int height, int width)
    {
        var order = new int[channels * height * width];
        for (int h = 0, j = 0; h < height; h++)
        {
            for (int w = 0; w < width; w++)
            {
                for (int c = 0; c < channels; c++, j++)
                {
                    order[j] = ((c * height) + h) * width + w;
                }
            }
        }

        return order;
    }

    /// <summary>Kernel <paramref name="kernel"/> (inputs × <paramref name="units"/>) with row j taken from row <paramref name="order"/>[j]; unchanged when <paramref name="order"/> is null.</summary>
    public static float[] ReorderRows(float[] kernel, int units, int[]? order)
    {
        if (order is null)
        {
            return kernel;
        }

        var result = new float[kernel.Length];
        for (int j = 0; j < order.Length; j++)
        {
            Array.Copy(kernel, order[j] * units, result, j * units, units);
        }

        return result;
    }

    /// <summary>
    /// The row-major elements of <paramref name="values"/> (dimensions <paramref name="dims"/>) with their axes reordered:
    /// output axis i is input axis <paramref name="permutation"/>[i] (numpy's transpose).
    /// </summary>
    public static float[] Transpose(float[] values, int[] dims, int[] permutation)
    {
        int rank = dims.Length;
        var strides = new int[rank];
        for (int a = rank - 1, s = 1; a >= 0; a--)
        {
            strides[a] = s;
            s *= dims[a];
        }

        int[] outDims = [.. permutation.Select(p => dims[p])];
        var result = new float[values.Length];
        var index = new int[rank];
        for (int o = 0; o < result.Length; o++)
        {
            int source = 0;
            for (int a = 0; a < rank; a++)
            {
                source += index[a] * strides[permutation[a]];
            }

            result[o] = values[source];
            for (int a = rank - 1; a >= 0 && ++index[a] == outDims[a]; a--)
            {
                index[a] = 0;
            }
        }

        return result;
    }
}
