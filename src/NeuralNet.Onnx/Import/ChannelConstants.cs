using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Add, Sub, Mul and Div of an (N, C, H, W) image and a per-channel constant of dims (C, 1, 1) or (1, C, 1, 1), as
/// PyTorch writes a normalisation (<c>(x - mean) / std</c>) or a learned scale: one 1×1 <see cref="DepthwiseConv2D"/>,
/// whose kernel and bias act on NeuralNet's channel axis, the last of (N, H, W, C).
/// </summary>
internal static class ChannelConstants
{
    /// <summary>Defines the node as <paramref name="op"/> of image <paramref name="x"/> and constant <paramref name="c"/> when <paramref name="c"/> is per-channel; false otherwise.</summary>
    public static bool TryDefine(ImportedNode node, ImportGraph graph, ImportedValue x, OnnxConstant c, ArithmeticOperator op, bool constantFirst)
    {
        long channels = x.Rank == 4 ? x.Dims[1] : 0;
        bool perChannel = x.IsImage && channels > 1 && c.Values.Length == channels
            && (c.Dims.SequenceEqual([channels, 1L, 1L]) || c.Dims.SequenceEqual([1L, channels, 1L, 1L]));
        if (!perChannel || op is not (ArithmeticOperator.Add or ArithmeticOperator.Subtract or ArithmeticOperator.Multiply or ArithmeticOperator.Divide)
            || (op == ArithmeticOperator.Divide && constantFirst))
        {
            return false;
        }

        float[] values = c.ToFloats();
        if (values.Any(v => !float.IsFinite(v)) || (op == ArithmeticOperator.Divide && values.Contains(0f)))
        {
            throw node.Refuse($"the per-channel constant {c.Shape} holds a value that is not finite, or a 0 to divide by");
        }

        // y = k·x + b per channel: x + c, x − c, c − x, c·x, x / c (as x · 1/c, within an ulp of the division).
        float[] kernel = op switch
        {
            ArithmeticOperator.Multiply => values,
            ArithmeticOperator.Divide => [.. values.Select(v => 1f / v)],
            ArithmeticOperator.Subtract when constantFirst => [.. values.Select(_ => -1f)],
            _ => [.. values.Select(_ => 1f)],
        };
        float[]? bias = op switch
        {
            ArithmeticOperator.Add => values,
            ArithmeticOperator.Subtract => constantFirst ? values : [.. values.Select(v => -v)],
            _ => null,
        };
        graph.Define(node, x.Dims, b =>
        {
            var layer = new DepthwiseConv2D((1, 1), useBias: bias is not null);
            SymbolicTensor y = layer.Call(b[x]);
            b.Weight(layer, "kernel", kernel);
            if (bias is not null)
            {
                b.Weight(layer, "bias", bias);
            }

            return y;
        });
        return true;
    }
}
