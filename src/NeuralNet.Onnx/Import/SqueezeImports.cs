using System.Globalization;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Squeeze and Unsqueeze of tensors the graph computes (<c>x.squeeze(-1).squeeze(-1)</c> after an adaptive average pooling
/// to 1×1, <c>x.unsqueeze(1)</c>): a Reshape of each sample in ONNX's element order, none where an Unsqueeze and a
/// Squeeze cancel. Of constants and shapes they fold at import (<see cref="ShapeFolding"/>).
/// </summary>
internal static class SqueezeImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["Squeeze"] = (node, graph) => Squeeze(node, graph, unsqueeze: false);
        all["Unsqueeze"] = (node, graph) => Squeeze(node, graph, unsqueeze: true);
    }

    private static void Squeeze(ImportedNode node, ImportGraph graph, bool unsqueeze)
    {
        // Opset 13 moved axes from an attribute to input 1.
        long[]? axes;
        if (graph.Opset < 13)
        {
            axes = new NodeAttributes(node, "axes").Ints("axes");
            if (node.Proto.Input.Count > 1)
            {
                throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"it has {node.Proto.Input.Count} inputs; at opset {graph.Opset} its axes are an attribute (an input from opset 13)"));
            }
        }
        else
        {
            _ = new NodeAttributes(node);
            axes = graph.Optional(node, 1) is null ? null : [.. graph.Constant(node, 1, "axes").Values.Select(v => (long)v)];
        }

        ImportedValue x = graph.Computed(node, 0, "data");
        long[] dims = unsqueeze ? Unsqueezed(node, x, axes) : Squeezed(node, x, axes);

        // A Squeeze of an Unsqueeze (or the other way) reshapes the value before both; where they cancel, it is that value.
        ImportedValue source = x.ReshapeOf ?? x;
        if (dims.SequenceEqual(source.Dims))
        {
            graph.Alias(node, source, source.Dims, source.IsImage);
            return;
        }

        // Through ONNX's element order, as a Reshape: (N, C, 1, 1) held (1, 1, C) and (N, C) hold theirs alike, no Permute.
        int[] sampleShape = dims.Length == 4 && dims[2] == 1 && dims[3] == 1 ? [1, 1, (int)dims[1]] : [.. dims.Skip(1).Select(d => (int)d)];
        ImportedValue y = graph.DefineOnDemand(node, dims, b => ImportBuild.FromOnnxOrder(new Layers.Reshape(sampleShape, null).Call(b.InOnnxOrder(source)), dims));
        y.ReshapeOf = source;
    }

    private static long[] Squeezed(ImportedNode node, ImportedValue x, long[]? axes)
    {
        // Without axes ONNX squeezes every axis of length 1 at run time: the batch axis too when a batch of one comes.
        if (axes is null or [])
        {
            throw node.Refuse($"it gives no axes on input {ImportText.Dims(x.Dims)}: ONNX would also squeeze the batch axis of a batch of one; NeuralNet.Onnx imports Squeeze with its axes given (x.squeeze(-1), not x.squeeze())");
        }

        int[] resolved = [.. axes.Select(a => Resolve(node, a, x.Rank))];
        if (resolved.Distinct().Count() != resolved.Length)
        {
            throw node.Invalid($"axes {ImportText.List(axes)} repeat an axis");
        }

        if (resolved.Contains(0))
        {
            throw node.Refuse($"axes {ImportText.List(axes)} of input {ImportText.Dims(x.Dims)} squeeze the batch axis; NeuralNet.Onnx imports squeezes of each sample's axes");
        }

        int notOne = resolved.FirstOrDefault(a => x.Dims[a] != 1, -1);
        if (notOne >= 0)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"axes {ImportText.List(axes)} squeeze axis {notOne} of input {ImportText.Dims(x.Dims)}, whose length is {x.Dims[notOne]}, not 1"));
        }

        return [.. x.Dims.Where((_, a) => !resolved.Contains(a))];
    }

    private static long[] Unsqueezed(ImportedNode node, ImportedValue x, long[]? axes)
    {
        if (axes is null or [])
        {
            throw node.Invalid("it gives no axes");
        }

        int rank = x.Rank + axes.Length;
        int[] resolved = [.. axes.Select(a => Resolve(node, a, rank)).Order()];
        if (resolved.Distinct().Count() != resolved.Length)
        {
            throw node.Invalid($"axes {ImportText.List(axes)} repeat an axis");
        }

        if (resolved[0] == 0)
        {
            throw node.Refuse($"axes {ImportText.List(axes)} insert an axis before the batch axis of input {ImportText.Dims(x.Dims)}; NeuralNet.Onnx imports Unsqueeze of each sample's axes");
        }

        var dims = new List<long>(x.Dims);
        foreach (int a in resolved)
        {
            dims.Insert(a, 1);
        }

        return [.. dims];
    }

    private static int Resolve(ImportedNode node, long axis, int rank)
    {
        long resolved = axis < 0 ? axis + rank : axis;
        return resolved >= 0 && resolved < rank ? (int)resolved
            : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"axis {axis} is outside a tensor of rank {rank}"));
    }
}
