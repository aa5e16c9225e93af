using System.Globalization;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Split (<c>torch.split</c>, <c>torch.chunk</c>) of a tensor the graph computes along a sample axis, as NeuralNet's
/// <see cref="Layers.Split"/> at the pieces' start indices. The lengths are the <c>split</c> attribute (before opset 13) or
/// input (from 13), equal pieces, one per output, when absent, or from opset 18 <c>num_outputs</c> pieces of
/// ⌈length / num_outputs⌉ with a shorter last one.
/// </summary>
internal static class SplitImports
{
    public static void Register(Dictionary<string, OpConverter> all) => all["Split"] = Split;

    private static void Split(ImportedNode node, ImportGraph graph)
    {
        string[] known = graph.Opset switch
        {
            < 13 => ["axis", "split"],
            < 18 => ["axis"],
            _ => ["axis", "num_outputs"],
        };
        var attributes = new NodeAttributes(node, known);
        ImportedValue x = graph.Computed(node, 0, "input");
        long axis = attributes.Int("axis", 0);
        int resolved = ImportLayout.SampleAxis(axis, x.Rank) ?? throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
            $"attribute axis={axis} on an input of dimensions {ImportText.Dims(x.Dims)}; NeuralNet.Onnx imports Split of a sample axis (not the batch axis)"));
        long length = x.Dims[resolved];
        int outputs = node.Proto.Output.Count;
        long[] sizes = Sizes(node, graph, attributes, length, outputs);
        if (sizes.Length != outputs)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"split {ImportText.List(sizes)} gives {sizes.Length} pieces to its {outputs} outputs"));
        }

        if (sizes.Any(s => s < 0))
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"split {ImportText.List(sizes)} has a negative length; each piece's length must be 0 or more"));
        }

        if (sizes.Sum() != length)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"split {ImportText.List(sizes)} does not add up to the length {length} of axis {resolved} of {ImportText.Dims(x.Dims)}"));
        }

        if (sizes.Contains(0))
        {
            throw node.Refuse($"split {ImportText.List(sizes)} of axis {resolved} of {ImportText.Dims(x.Dims)} makes an empty piece, which NeuralNet layers do not hold");
        }

        if (outputs == 1)
        {
            graph.Alias(node, x);
            return;
        }

        int[] starts = new int[outputs - 1];
        for (int i = 0, start = 0; i < starts.Length; i++)
        {
            start += (int)sizes[i];
            starts[i] = start;
        }

        int kerasAxis = ImportLayout.Axis(resolved, x.Rank, x.IsImage);
        long[][] dims = [.. sizes.Select(s => x.Dims.Select((d, a) => a == resolved ? s : d).ToArray())];
        graph.DefineOutputs(node, dims, b => new Layers.Split(starts, kerasAxis).CallOutputs(b[x]), x.IsImage);
    }

    private static long[] Sizes(ImportedNode node, ImportGraph graph, NodeAttributes attributes, long length, int outputs)
    {
        if (graph.Opset < 13)
        {
            return node.Proto.Input.Count > 1
                ? throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"it has {node.Proto.Input.Count} inputs; at opset {graph.Opset} split is an attribute (an input from opset 13)"))
                : attributes.Ints("split") ?? Equal(node, length, outputs);
        }

        long[]? split = graph.Optional(node, 1) is null ? null : [.. graph.Constant(node, 1, "split").Values.Select(v => (long)v)];
        if (graph.Opset < 18)
        {
            return split ?? Equal(node, length, outputs);
        }

        // Opset 18: the split input or num_outputs, not both.
        long? count = attributes.Has("num_outputs") ? attributes.Int("num_outputs", 0) : null;
        if ((split is null) == (count is null))
        {
            throw node.Invalid("it gives both or neither of the split input and the num_outputs attribute (opset 18 takes one)");
        }

        if (split is not null)
        {
            return split;
        }

        if (count != outputs)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"attribute num_outputs={count} but it has {outputs} outputs"));
        }

        // Pieces of ⌈length / n⌉ and a last one of what is left (ONNX's rule), which must not be negative (ONNX Runtime
        // refuses 5 in 4: "Split sizes would produce a negative final split"); a last piece of 0 (4 in 3) is refused later as empty.
        long piece = (length + outputs - 1) / outputs;
        long last = length - ((outputs - 1) * piece);
        return last < 0
            ? throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"attribute num_outputs={outputs} on an axis of length {length}: ONNX's pieces of ⌈{length} / {outputs}⌉ = {piece} leave {last} for the last one; (num_outputs − 1) · ⌈length / num_outputs⌉ must not exceed the length"))
            : [.. Enumerable.Repeat(piece, outputs - 1), last];
    }

    private static long[] Equal(ImportedNode node, long length, int outputs) => length % outputs == 0
        ? [.. Enumerable.Repeat(length / outputs, outputs)]
        : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"it splits an axis of length {length} into {outputs} equal pieces without giving their lengths, but {outputs} does not divide {length}"));
}
