using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Bilinear UpSampling2D as ExportOnnx writes it, one image axis at a time: two Gathers of the rows (columns) below and
/// above each output's half-pixel sample, blended by Mul with the weights 1 − t and t and an Add (ResizeConverters).
/// Where the indices and weights are those of a whole factor k on the image's height or width (Keras' table, as
/// <c>Resampling.BilinearAxis</c> computes it; weights within 1e-6), the chain imports as one
/// <c>UpSampling2D</c> of factor k on that axis, bilinear; otherwise its nodes import one by one, as before (the first
/// Gather is then refused, saying why it is not a nearest repeat).
/// </summary>
internal static class BilinearUpSamplingImport
{
    /// <summary>Defines the Add <paramref name="anchor"/>'s output from image <paramref name="x"/>, or converts <paramref name="chain"/> (graph order) node by node.</summary>
    public static void Define(ImportedNode anchor, ImportGraph graph, string x, NodeProto[] gathers, string[] indices, string[] weights, IReadOnlyList<(NodeProto Proto, int Index)> chain)
    {
        if (graph.TryGet(x, out ImportedValue input) && input.Folded is null && input.Rank == 4 && Factor(graph, input, gathers, indices, weights) is (int axis, int factor))
        {
            long[] dims = [.. input.Dims];
            dims[axis] *= factor;
            (int Height, int Width) size = ImportLayout.Axis(axis, 4, input.IsImage) == 1 ? (factor, 1) : (1, factor);
            graph.Define(anchor, dims, b => new UpSampling2D(size, Interpolation.Bilinear).Call(b[input]), input.IsImage);
            return;
        }

        foreach ((NodeProto proto, int index) in chain)
        {
            var node = new ImportedNode(proto, index, anchor.Source);
            if (!ShapeFolding.TryFold(node, graph))
            {
                OpConverters.All[node.OpType](node, graph);
            }
        }
    }

    // The ONNX axis and the factor whose bilinear table the constants hold, or null.
    private static (int Axis, int Factor)? Factor(ImportGraph graph, ImportedValue input, NodeProto[] gathers, string[] indices, string[] weights)
    {
        // Both Gathers read rows (or both columns): a pair along different axes is no UpSampling2D, whatever its tables.
        if (GatherAxis(gathers[0]) is not long axisValue || GatherAxis(gathers[1]) is not long other
            || ImportLayout.SampleAxis(axisValue, 4) is not int axis || ImportLayout.SampleAxis(other, 4) != axis
            || ImportLayout.Axis(axis, 4, input.IsImage) is not (1 or 2))
        {
            return null;
        }

        long length = input.Dims[axis];
        OnnxConstant?[] given = [.. indices.Concat(weights).Select(n => graph.TryGet(n, out ImportedValue v) ? v.Constant : null)];
        if (given.Any(c => c is null) || given[0]!.Dims.Length != 1 || !given[0]!.IsInteger || !given[1]!.IsInteger)
        {
            return null;
        }

        int output = given[0]!.Values.Length;
        if (output % length != 0 || output / length < 2 || output > int.MaxValue)
        {
            return null;
        }

        // The weights broadcast along the axis: (output) followed by a 1 for each axis after it, with leading 1s allowed.
        long[] broadcast = [output, .. Enumerable.Repeat(1L, 3 - axis)];
        bool Broadcasts(OnnxConstant c) => c.Dims.Length >= broadcast.Length && c.Dims[..^broadcast.Length].All(d => d == 1) && c.Dims[^broadcast.Length..].SequenceEqual(broadcast);
        if (!given[1]!.Dims.SequenceEqual(given[0]!.Dims) || !Broadcasts(given[2]!) || !Broadcasts(given[3]!))
        {
            return null;
        }

        for (int o = 0; o < output; o++)
        {
            // Keras' half-pixel sample at factor output / length (Resampling.BilinearAxis).
            double s = Math.Clamp(((o + 0.5) * length / output) - 0.5, 0, length - 1);
            long i0 = (long)Math.Floor(s), i1 = s == i0 ? i0 : i0 + 1;
            float t = (float)(s - i0);
            long Index(int k) => given[k]!.Values[o] is var v && v < 0 ? (long)v + length : (long)v;
            if (Index(0) != i0 || Index(1) != i1 || Math.Abs(given[2]!.Values[o] - (1 - t)) > 1e-6 || Math.Abs(given[3]!.Values[o] - t) > 1e-6)
            {
                return null;
            }
        }

        return (axis, output / (int)length);
    }

    // A Gather's axis attribute (0 when absent), or null when it holds any other attribute.
    private static long? GatherAxis(NodeProto gather) => gather.Attribute.Count switch
    {
        0 => 0,
        1 when gather.Attribute[0] is { Name: "axis", Type: AttributeProto.Types.AttributeType.Int } a => a.I,
        _ => null,
    };
}
