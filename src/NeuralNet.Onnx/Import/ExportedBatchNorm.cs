using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// A BatchNormalization as NeuralNet's exporter writes it (Sub of the moving mean, Mul by 1/√(moving variance + ε),
/// [Mul by γ], [Add of β], each constant one value per channel or feature; see <c>BatchNormalizationConverter</c>) imported
/// back as one frozen <see cref="BatchNormalization"/> that computes the same floats: a moving variance and an ε are
/// chosen whose <c>1f / MathF.Sqrt(variance + ε)</c> is the file's factor to the bit, and the layer then computes
/// <c>γ·((x − mean)·factor) + β</c> as the file does. Where the constants are not per channel (scalars: a
/// <c>(x − 0.5) · 2</c>) or no such variance exists, the nodes import one by one, as before.
/// </summary>
internal static class ExportedBatchNorm
{
    // Keras' default ε, made smaller where a variance + ε would be tiny (a factor above about 16).
    private const float DefaultEpsilon = 1e-3f;

    /// <summary>
    /// Defines the anchor's output (the chain's last node) from <paramref name="x"/> and the constants' names; falls back to
    /// the nodes' own converters (<paramref name="chain"/>: their indices, in graph order) where the constants do not fit.
    /// </summary>
    public static void Define(ImportedNode anchor, ImportGraph graph, string x, string mean, string factor, string? gamma, string? beta, IReadOnlyList<(NodeProto Proto, int Index)> chain)
    {
        if (graph.TryGet(x, out ImportedValue input) && input.Folded is null
            && PerIndex(graph, input, mean) is float[] m && PerIndex(graph, input, factor) is float[] k
            && (gamma is null || PerIndex(graph, input, gamma) is not null) && (beta is null || PerIndex(graph, input, beta) is not null)
            && Variances(k) is (float epsilon, float[] variance))
        {
            float[]? g = gamma is null ? null : PerIndex(graph, input, gamma), b = beta is null ? null : PerIndex(graph, input, beta);
            graph.Define(anchor, input.Dims, build =>
            {
                var layer = new BatchNormalization(epsilon: epsilon, center: b is not null, scale: g is not null) { Trainable = false };
                SymbolicTensor y = layer.Call(build[input]);
                build.Weight(layer, "moving_mean", m);
                build.Weight(layer, "moving_variance", variance);
                if (g is not null)
                {
                    build.Weight(layer, "gamma", g);
                }

                if (b is not null)
                {
                    build.Weight(layer, "beta", b);
                }

                return y;
            }, input.IsImage);
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

    /// <summary>
    /// An ε and, per channel, a variance ≥ 0 with <c>1f / MathF.Sqrt(variance + ε)</c> equal to <paramref name="factors"/>' to
    /// the bit (the exporter computed each factor so from a float variance + ε, so one exists near 1/factor² − ε); null
    /// when a factor is not finite and positive or none is found within 1024 floats.
    /// </summary>
    public static (float Epsilon, float[] Variance)? Variances(float[] factors)
    {
        if (factors.Any(f => !(float.IsFinite(f) && f > 0f)))
        {
            return null;
        }

        double smallest = factors.Min(f => 1.0 / ((double)f * f));
        float epsilon = (float)Math.Min(DefaultEpsilon, smallest / 4);
        if (!float.IsNormal(epsilon))
        {
            return null;
        }

        var variance = new float[factors.Length];
        for (int c = 0; c < factors.Length; c++)
        {
            float start = (float)Math.Max(0, (1.0 / ((double)factors[c] * factors[c])) - epsilon);
            float? found = null;
            float up = start, down = start;
            for (int step = 0; step <= 1024 && found is null; step++, up = MathF.BitIncrement(up), down = MathF.BitDecrement(down))
            {
                found = Gives(up, epsilon, factors[c]) ? up : down >= 0f && Gives(down, epsilon, factors[c]) ? down : null;
            }

            if (found is not float v)
            {
                return null;
            }

            variance[c] = v;
        }

        return (epsilon, variance);
    }

    // What BatchNorm.InverseStandardDeviation computes.
    private static bool Gives(float variance, float epsilon, float factor) => 1f / MathF.Sqrt(variance + epsilon) == factor;

    private static float[]? PerIndex(ImportGraph graph, ImportedValue x, string name) =>
        graph.TryGet(name, out ImportedValue value) && value.Constant is OnnxConstant c && ChannelConstants.IsPerIndex(x, c) && c.Values.All(double.IsFinite)
            ? c.ToFloats() : null;
}
