using System.Globalization;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Operators common in PyTorch's CNN exports: Clip (ReLU6 and other bounds), HardSigmoid, HardSwish, Pad of an image's
/// height and width with zeros, and ReduceMean (over an image's height and width a global average pooling, else Reduce).
/// </summary>
internal static class CnnOperatorImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["Clip"] = Clip;
        all["HardSigmoid"] = HardSigmoid;
        all["HardSwish"] = HardSwish;
        all["Pad"] = Pad;
        all["ReduceMean"] = ReduceMean;
    }

    // Opset 11 made min and max optional inputs; an absent bound is no bound.
    private static void Clip(ImportedNode node, ImportGraph graph)
    {
        _ = new NodeAttributes(node);
        ImportedValue x = graph.Computed(node, 0, "input");
        float? Bound(int index, string what) => graph.Optional(node, index) is null ? null
            : graph.Constant(node, index, what) is { Values.Length: 1 } c ? (float)c.Values[0]
            : throw node.Refuse($"input {index} ({what}) is not a scalar; Clip takes scalar bounds");
        float? min = Bound(1, "min"), max = Bound(2, "max");
        if (min is float lo && max is float hi && !(lo <= hi))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"min={lo} is above max={hi}; NeuralNet's Clip takes min <= max"));
        }

        if ((min is float m && !float.IsFinite(m)) || (max is float n && !float.IsFinite(n)))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"bounds min={min}, max={max}; NeuralNet's Clip takes finite bounds"));
        }

        // nn.ReLU6 exports as Clip(0, 6): Keras' ReLU(max_value=6).
        graph.Define(node, x.Dims, b => (min, max) switch
        {
            (0f, 6f) => new ReLU(6f).Call(b[x]),
            (0f, null) => new ReLU().Call(b[x]),
            _ => new Layers.Clip(min ?? float.MinValue, max ?? float.MaxValue).Call(b[x]),
        }, x.IsImage);
    }

    // ONNX's max(0, min(1, alpha·x + beta)); nn.Hardsigmoid exports alpha = 1/6, beta = 0.5, Keras 3's hard_sigmoid.
    private static void HardSigmoid(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "alpha", "beta");
        float alpha = attributes.Float("alpha", 0.2f), beta = attributes.Float("beta", 0.5f);
        ImportedValue x = graph.Computed(node, 0, "X");
        if (!float.IsFinite(alpha) || !float.IsFinite(beta))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"alpha={alpha}, beta={beta}; HardSigmoid takes finite alpha and beta"));
        }

        bool keras = Math.Abs(alpha - (1.0 / 6)) <= 1e-7 && beta == 0.5f;
        graph.Define(node, x.Dims, b => keras
            ? new Activation(ActivationFunction.HardSigmoid).Call(b[x])
            : new Layers.Clip(0f, 1f).Call(new ScalarArithmetic(ArithmeticOperator.Add, beta).Call(new ScalarArithmetic(ArithmeticOperator.Multiply, alpha).Call(b[x]))),
            x.IsImage);
    }

    // x · HardSigmoid(x) with alpha 1/6, beta 0.5: Keras' hard_silu.
    private static void HardSwish(ImportedNode node, ImportGraph graph)
    {
        graph.RequireOpset(node, 14);
        _ = new NodeAttributes(node);
        ImportedValue x = graph.Computed(node, 0, "X");
        graph.Define(node, x.Dims, b => new Activation(ActivationFunction.HardSilu).Call(b[x]), x.IsImage);
    }

    private static void Pad(ImportedNode node, ImportGraph graph)
    {
        string mode = new NodeAttributes(node, "mode").String("mode", "constant");
        if (mode != "constant")
        {
            throw node.Refuse($"attribute mode='{mode}'; NeuralNet.Onnx imports Pad with mode 'constant' (zeros), as ZeroPadding2D");
        }

        if (graph.Optional(node, 3) is not null)
        {
            throw node.Refuse("input 3 (axes) is given; NeuralNet.Onnx imports Pad with pads for every axis");
        }

        ImportedValue x = graph.Image(node, 0, "data");
        long[] pads = [.. graph.Constant(node, 1, "pads").Values.Select(v => (long)v)];
        if (pads.Length != 8)
        {
            throw node.Invalid($"pads {ImportText.List(pads)} holds {pads.Length} values; an (N, C, H, W) input takes 8");
        }

        if (graph.Optional(node, 2) is not null && graph.Constant(node, 2, "constant_value").Values.Any(v => v != 0))
        {
            throw node.Refuse("input constant_value is not 0; NeuralNet.Onnx imports padding with zeros (ZeroPadding2D)");
        }

        if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads.Any(p => p < 0 || p > int.MaxValue))
        {
            throw node.Refuse($"pads {ImportText.List(pads)} pad the batch or channel axis, or crop; NeuralNet.Onnx imports Pad of the height and width by zeros or more");
        }

        if (pads.All(p => p == 0))
        {
            graph.Alias(node, x);
            return;
        }

        ((int, int), (int, int)) padding = (((int)pads[2], (int)pads[6]), ((int)pads[3], (int)pads[7]));
        graph.Define(node, [x.Dims[0], x.Dims[1], x.Dims[2] + pads[2] + pads[6], x.Dims[3] + pads[3] + pads[7]], b => new ZeroPadding2D(padding).Call(b[x]));
    }

    // torch.mean(x, dim=(2, 3), keepdim=...) on feature maps: GlobalAveragePooling2D; other axes but the batch axis: Reduce
    // (Mean) over NeuralNet's axes (an image's C, H, W are its axes 3, 1, 2). Opset 18 moved axes to an input.
    private static void ReduceMean(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "axes", "keepdims", "noop_with_empty_axes");
        bool keepDims = attributes.Int("keepdims", 1) != 0;
        long[]? axes = attributes.Ints("axes") ?? (graph.Optional(node, 1) is null ? null : [.. graph.Constant(node, 1, "axes").Values.Select(v => (long)v)]);
        ImportedValue x = graph.Computed(node, 0, "data");
        if (axes is null or [] && attributes.Int("noop_with_empty_axes", 0) != 0)
        {
            graph.Alias(node, x);
            return;
        }

        int?[] sample = axes is null or [] ? [null] : [.. axes.Select(a => ImportLayout.SampleAxis(a, x.Rank))];
        if (sample.Any(a => a is null) || sample.Distinct().Count() != sample.Length)
        {
            throw node.Refuse($"axes {(axes is null or [] ? "(all)" : ImportText.List(axes))} of {ImportText.Dims(x.Dims)} take in the batch axis, lie outside the rank or repeat an axis; NeuralNet.Onnx imports ReduceMean over distinct axes other than the batch axis");
        }

        int[] resolved = [.. sample.Select(a => a!.Value).Order()];
        if (x.IsImage && resolved is [2, 3])
        {
            graph.Define(node, keepDims ? [x.Dims[0], x.Dims[1], 1, 1] : [x.Dims[0], x.Dims[1]], b => new GlobalAveragePooling2D(keepDims).Call(b[x]));
            return;
        }

        // Without keepdims, an image's channels and a spatial axis left both would come out in another order than ONNX's.
        bool image = x.IsImage && keepDims;
        if (x.IsImage && !keepDims && !resolved.Contains(1) && resolved.Length == 1)
        {
            throw node.Refuse($"axes {ImportText.List(axes!)} of {ImportText.Dims(x.Dims)} without keepdims leave the channels and a spatial axis of an image, which NeuralNet holds in another order; NeuralNet.Onnx imports such a ReduceMean with keepdims=1, or over the channels or both H and W");
        }

        long[] dims = keepDims
            ? [.. x.Dims.Select((d, i) => resolved.Contains(i) ? 1L : d)]
            : [.. x.Dims.Where((_, i) => !resolved.Contains(i))];
        int[] kerasAxes = [.. resolved.Select(a => ImportLayout.Axis(a, x.Rank, x.IsImage))];
        graph.Define(node, dims, b => new Reduce(Reduction.Mean, kerasAxes, keepDims).Call(b[x]), image);
    }
}
