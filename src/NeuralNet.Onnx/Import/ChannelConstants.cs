using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Add, Sub, Mul and Div of a tensor and a constant that holds one value per index of NeuralNet's last axis: per channel
/// of an (N, C, H, W) image, dims (C, 1, 1) or (1, C, 1, 1), as PyTorch writes a normalisation (<c>(x − mean) / std</c>)
/// and NeuralNet's exporter a BatchNormalization; or per feature of the last axis of any other tensor, dims (F) or
/// (1, ..., F), as NeuralNet's exporter writes BatchNormalization and LayerNormalization constants of channels-last values.
/// Each node becomes one frozen <see cref="BatchNormalization"/> on the last axis whose statistics leave the value as it
/// is (moving mean 0, moving variance + ε exactly 1), so that its γ and β compute k·x + c exactly as the file does; the
/// constants are not trainable (they are fixed normalisation statistics, PyTorch buffers).
/// </summary>
internal static class ChannelConstants
{
    // ε and 1 − ε are exact in float and so is their sum, 1: the layer's 1/√(variance + ε) is exactly 1.
    private const float Epsilon = 1f / 1024f;

    /// <summary>Defines the node as <paramref name="op"/> of <paramref name="x"/> and constant <paramref name="c"/> when <paramref name="c"/> is per-channel or per-feature; false otherwise.</summary>
    public static bool TryDefine(ImportedNode node, ImportGraph graph, ImportedValue x, OnnxConstant c, ArithmeticOperator op, bool constantFirst)
    {
        if (!IsPerIndex(x, c) || op is not (ArithmeticOperator.Add or ArithmeticOperator.Subtract or ArithmeticOperator.Multiply or ArithmeticOperator.Divide)
            || (op == ArithmeticOperator.Divide && constantFirst))
        {
            return false;
        }

        float[] values = c.ToFloats();
        if (values.Any(v => !float.IsFinite(v)) || (op == ArithmeticOperator.Divide && values.Contains(0f)))
        {
            throw node.Refuse($"the per-{(x.IsImage ? "channel" : "feature")} constant {c.Shape} holds a value that is not finite, or a 0 to divide by");
        }

        // y = k·x + b per index: x + c, x − c, c − x, c·x, x / c (as x · 1/c, within an ulp of the division).
        float[] scale = op switch
        {
            ArithmeticOperator.Multiply => values,
            ArithmeticOperator.Divide => [.. values.Select(v => 1f / v)],
            ArithmeticOperator.Subtract when constantFirst => [.. values.Select(_ => -1f)],
            _ => [.. values.Select(_ => 1f)],
        };
        float[]? offset = op switch
        {
            ArithmeticOperator.Add => values,
            ArithmeticOperator.Subtract => constantFirst ? values : [.. values.Select(v => -v)],
            _ => null,
        };
        graph.Define(node, x.Dims, b =>
        {
            var layer = new BatchNormalization(epsilon: Epsilon, center: offset is not null) { Trainable = false };
            SymbolicTensor y = layer.Call(b[x]);
            b.Weight(layer, "gamma", scale);
            if (offset is not null)
            {
                b.Weight(layer, "beta", offset);
            }

            b.Weight(layer, "moving_mean", new float[values.Length]);
            b.Weight(layer, "moving_variance", [.. values.Select(_ => 1f - Epsilon)]);
            return y;
        }, x.IsImage);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="c"/> holds one value per index of NeuralNet's last axis of <paramref name="x"/> (more than one):
    /// an image's channels as (C, 1, 1) or (1, C, 1, 1), another tensor's last axis as (F) or (1, ..., F).
    /// </summary>
    public static bool IsPerIndex(ImportedValue x, OnnxConstant c)
    {
        long length = x.IsImage ? x.Dims[1] : x.Dims[^1];
        if (length <= 1 || c.Values.Length != length || c.Dims.Length > x.Rank)
        {
            return false;
        }

        return x.IsImage
            ? c.Dims.SequenceEqual([length, 1L, 1L]) || c.Dims.SequenceEqual([1L, length, 1L, 1L])
            : c.Dims.Length >= 1 && c.Dims[^1] == length;
    }
}
