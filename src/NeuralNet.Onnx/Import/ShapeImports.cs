using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Constant, Identity, Dropout, Flatten and Reshape with a constant shape. A Flatten or Reshape of image features reads
/// them in ONNX's (C, H, W) order, so the next layer's weights (a Gemm's rows) keep PyTorch's order.
/// </summary>
internal static class ShapeImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["Constant"] = Constant;
        all["Identity"] = Identity;
        all["Dropout"] = Dropout;
        all["Flatten"] = Flatten;
        all["Reshape"] = Reshape;
        all["Transpose"] = Transpose;
    }

    /// <summary>Whether <paramref name="perm"/> is the Transpose that makes (N, H, W, C) channels first, as NeuralNet's exporter writes after its inputs.</summary>
    public static bool ToChannelsFirst(long[]? perm) => perm is [0, 3, 1, 2];

    // A Transpose composes with the layouts NeuralNet holds its input and output in; where they cancel (a channels-last
    // input made channels first for a Conv) it is no layer at all, else one Permute.
    private static void Transpose(ImportedNode node, ImportGraph graph)
    {
        ImportedValue x = graph.Computed(node, 0, "data");
        long[] perm = new NodeAttributes(node, "perm").Ints("perm") ?? [.. Enumerable.Range(0, x.Rank).Reverse().Select(i => (long)i)];
        if (perm.Length != x.Rank || !perm.Order().SequenceEqual(Enumerable.Range(0, x.Rank).Select(i => (long)i)))
        {
            throw node.Invalid($"perm={ImportText.List(perm)} is not a permutation of the {x.Rank} axes of {ImportText.Dims(x.Dims)}");
        }

        if (perm[0] != 0)
        {
            throw node.Refuse($"perm={ImportText.List(perm)} moves the batch axis; NeuralNet.Onnx imports transposes of each sample");
        }

        long[] dims = [.. perm.Select(p => x.Dims[p])];
        // NeuralNet axis i of the output is NeuralNet axis q[i] of the input, for each layout the output may be held in.
        int[] Composed(bool image)
        {
            int[] toOnnx = x.IsImage ? [0, 3, 1, 2] : [.. Enumerable.Range(0, x.Rank)];
            int[] fromOnnx = image ? [0, 2, 3, 1] : [.. Enumerable.Range(0, x.Rank)];
            return [.. fromOnnx.Select(i => toOnnx[perm[i]])];
        }

        bool IsIdentity(int[] q) => q.Select((a, i) => a == i).All(same => same);
        if (dims.Length == 4 && IsIdentity(Composed(true)))
        {
            graph.Alias(node, x, dims, image: true);
            return;
        }

        if (IsIdentity(Composed(false)))
        {
            graph.Alias(node, x, dims, image: false);
            return;
        }

        bool outputImage = dims.Length == 4;
        int[] permutation = Composed(outputImage)[1..];
        graph.Define(node, dims, b => ImportBuild.Permuted(b[x], permutation), outputImage);
    }

    private static void Constant(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "value", "value_float", "value_floats", "value_int", "value_ints");
        graph.RequireOutputs(node);
        if (node.Proto.Attribute.Count != 1)
        {
            throw node.Invalid("a Constant sets exactly one of value, value_float, value_floats, value_int, value_ints");
        }

        OnnxConstant constant = attributes.Tensor("value") is TensorProto tensor ? OnnxConstant.Read(tensor, $"{node.Description}'s value")
            : attributes.Has("value_float") ? new OnnxConstant([], [attributes.Float("value_float", 0f)])
            : attributes.Floats("value_floats") is float[] floats ? new OnnxConstant([floats.Length], [.. floats.Select(f => (double)f)])
            : attributes.Has("value_int") ? new OnnxConstant([], [attributes.Int("value_int", 0)], OnnxConstant.Int64)
            : attributes.Ints("value_ints") is long[] ints ? new OnnxConstant([ints.Length], [.. ints.Select(i => (double)i)], OnnxConstant.Int64)
            : throw node.Invalid("the Constant holds no value");
        graph.Add(ImportedValue.FromConstant(node.Proto.Output[0], constant), node);
    }

    private static void Identity(ImportedNode node, ImportGraph graph)
    {
        _ = new NodeAttributes(node);
        graph.Alias(node, graph.Optional(node, 0) ?? throw node.Invalid("input 0 is missing"));
    }

    // Inference Dropout passes its input through; the rate is kept as a Keras Dropout so that fine-tuning drops as training did.
    private static void Dropout(ImportedNode node, ImportGraph graph)
    {
        // Opsets before 12 give the ratio as an attribute, later ones as input 1.
        var attributes = graph.Opset < 12 ? new NodeAttributes(node, "seed", "ratio") : new NodeAttributes(node, "seed");
        ImportedValue x = graph.Computed(node, 0, "data");
        double rate = attributes.Float("ratio", 0.5f);
        if (graph.Optional(node, 1) is not null)
        {
            OnnxConstant ratio = graph.Constant(node, 1, "ratio");
            rate = ratio.Values.Length == 1 ? ratio.Values[0] : throw node.Invalid($"ratio has dimensions {ratio.Shape}, expected a scalar");
        }

        if (graph.Optional(node, 2) is not null && graph.Constant(node, 2, "training_mode").Values.Any(v => v != 0))
        {
            throw node.Refuse("input training_mode is true; NeuralNet.Onnx imports the inference form (export the model in eval mode)");
        }

        if (!(rate is >= 0 and < 1))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"ratio={rate}; a dropout rate is in [0, 1)"));
        }

        if (rate == 0)
        {
            graph.Alias(node, x);
            return;
        }

        graph.Define(node, x.Dims, b => new Layers.Dropout(rate).Call(b[x]), x.IsImage);
    }

    private static void Flatten(ImportedNode node, ImportGraph graph)
    {
        long axis = new NodeAttributes(node, "axis").Int("axis", 1);
        ImportedValue x = graph.Computed(node, 0, "input");
        if (axis != 1 && axis != 1 - x.Rank)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"attribute axis={axis}; NeuralNet.Onnx imports Flatten that keeps the batch axis (axis=1)"));
        }

        long features = ImportSizes.Product(x.Dims.Skip(1))!.Value;
        if (x.Rank == 2)
        {
            graph.Alias(node, x);
            return;
        }

        Flattened(node, graph, x, [x.Dims[0], features], b => new Layers.Flatten().Call(b.InOnnxOrder(x)));
    }

    // Feature maps flattened for Gemm or MatMul only: flattened channels last, and those nodes reorder their kernel rows,
    // so no Permute runs per step; for any other reader, ONNX's (C, H, W) order through a Permute (onnxOrder).
    private static void Flattened(ImportedNode node, ImportGraph graph, ImportedValue x, long[] dims, Func<ImportBuild, SymbolicTensor> onnxOrder)
    {
        bool reorder = x.IsImage && !(x.Dims[2] == 1 && x.Dims[3] == 1) && graph.ReadOnlyBy(node.Proto.Output[0], "Gemm", "MatMul");
        ImportedValue y = graph.Define(node, dims, reorder ? b => new Layers.Flatten().Call(b[x]) : onnxOrder);
        y.RowOrder = reorder ? ImportLayout.ChannelsFirstOrder((int)x.Dims[1], (int)x.Dims[2], (int)x.Dims[3]) : null;
    }

    private static void Reshape(ImportedNode node, ImportGraph graph)
    {
        bool allowZero = new NodeAttributes(node, "allowzero").Int("allowzero", 0) != 0;
        ImportedValue x = graph.Computed(node, 0, "data");
        OnnxConstant shapeConstant = node.Proto.Input.Count < 2 || node.Proto.Input[1].Length == 0 ? throw node.Invalid("input 1 (shape) is missing")
            : graph.Known(node, 1).Folded ?? throw node.Refuse($"input 1 (shape) '{node.Proto.Input[1]}' is computed by the graph from more than the static shapes of tensors; NeuralNet.Onnx imports a Reshape whose shape is known at import (but the batch length)");
        long[] shape = [.. shapeConstant.Values.Select(v => (long)v)];
        if (shapeConstant.Dims.Length != 1 || shape.Length < 2)
        {
            throw node.Refuse($"input shape is {ImportText.List(shape)}; NeuralNet.Onnx imports a Reshape to a batch axis and 1 to 4 more");
        }

        // The batch length, folded from a Shape (x.view(x.size(0), -1)), keeps the batch axis as a 0 does; elsewhere it is refused.
        int batchEntry = Enumerable.Range(1, shape.Length - 1).FirstOrDefault(shapeConstant.IsBatch);
        if (batchEntry > 0)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"entry {batchEntry} of its shape is the batch length (computed from a Shape); NeuralNet.Onnx imports reshapes of each sample, which take the batch length only as the first entry"));
        }

        // The batch length folded from a Shape is held as a 0 too, but it is no empty axis: it keeps the batch axis, allowzero or not.
        if (allowZero && Enumerable.Range(0, shape.Length).Any(i => shape[i] == 0 && !shapeConstant.IsBatch(i)))
        {
            throw node.Refuse("allowzero=1 with a 0 in the shape makes an empty tensor, which NeuralNet layers do not hold");
        }

        // Entries 0 copy the input's length (unless allowzero); the batch axis is kept (0), inferred (−1 with the rest
        // fixed) or given as the batch length the file's inputs fix.
        long[] rest = new long[shape.Length - 1];
        for (int i = 1; i < shape.Length; i++)
        {
            rest[i - 1] = shape[i] != 0 ? shape[i]
                : i < x.Rank ? x.Dims[i] : throw node.Invalid($"shape {ImportText.List(shape)} copies axis {i}, which the input {ImportText.Dims(x.Dims)} lacks");
        }

        if (rest.Count(d => d == -1) > 1 || rest.Any(d => d < -1))
        {
            throw node.Invalid($"shape {ImportText.List(shape)} has more than one -1 or a negative length");
        }

        long sample = ImportSizes.Product(x.Dims.Skip(1))!.Value;
        bool batchKept = shape[0] == 0 || (shape[0] > 0 && shape[0] == graph.FixedBatch)
            || (shape[0] == -1 && !rest.Contains(-1) && ImportSizes.Product(rest) == sample);
        if (!batchKept)
        {
            throw node.Refuse($"shape {ImportText.List(shape)} on input {ImportText.Dims(x.Dims)} changes the batch axis; NeuralNet.Onnx imports reshapes of each sample (first entry 0, -1 or the inputs' fixed batch length)");
        }

        long known = ImportSizes.Product(rest.Where(d => d != -1)) ?? 0;
        if (known == 0 || (rest.Contains(-1) ? sample % known != 0 : known != sample))
        {
            throw node.Invalid($"shape {ImportText.List(shape)} does not hold the {sample} values of each sample of {ImportText.Dims(x.Dims)}");
        }

        long[] dims = [-1, .. rest.Select(d => d == -1 ? sample / known : d)];
        if (dims.SequenceEqual(x.Dims))
        {
            graph.Alias(node, x);
            return;
        }

        int[] sampleShape = dims.Length == 4 && dims[2] == 1 && dims[3] == 1 ? [1, 1, (int)dims[1]] : [.. dims.Skip(1).Select(d => (int)d)];
        Func<ImportBuild, SymbolicTensor> onnxOrder = b => ImportBuild.FromOnnxOrder(new Layers.Reshape(sampleShape, null).Call(b.InOnnxOrder(x)), dims);
        if (dims.Length == 2 && x.Rank == 4)
        {
            Flattened(node, graph, x, dims, onnxOrder);
            return;
        }

        graph.Define(node, dims, onnxOrder);
    }
}
