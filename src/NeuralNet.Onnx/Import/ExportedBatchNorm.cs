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
    // Keras' and PyTorch's default ε, tried first: the exporter's own ε gives back its moving variances (a dead channel's 0 too).
    private static readonly float[] UsualEpsilons = [1e-3f, 1e-5f];

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
    /// the bit; null when a factor is not finite and positive or no such ε and variances are found. ε is 1e-3 or 1e-5 where
    /// that one gives every factor, else the power of two 2^⌊log₂ min(1e-3, s/4)⌋ for s the smallest 1/factor²: the exporter
    /// computed each factor from some float sum s' = variance + ε' ≥ s (up to rounding), and with a power of two ε ≤ s'/2,
    /// v = s' − ε is a float and v + ε gives back s' exactly where ε is at least the last place of s', and v = s' does where
    /// ε is below half of it (an ε that is not a power of two may round v + ε on a tie away from s', which left some
    /// genuine exports without a variance). So an exported chain whose smallest <c>variance + ε</c> is at least 2^-124
    /// finds one (a tie at exactly half a place aside, see the body); a factor no float sum gives (a hand-written chain) finds none.
    /// </summary>
    public static (float Epsilon, float[] Variance)? Variances(float[] factors)
    {
        if (factors.Length == 0 || factors.Any(f => !(float.IsFinite(f) && f > 0f)))
        {
            return null;
        }

        foreach (float usual in UsualEpsilons)
        {
            if (VariancesFor(factors, usual) is float[] found)
            {
                return (usual, found);
            }
        }

        // A sum s' in [2^24·ε, 2^25·ε) has ε exactly half its last place: for an odd s', v + ε ties away from s'. The two next
        // smaller powers of two, each half the last place of another binade, are tried after it.
        double smallest = factors.Min(f => 1.0 / ((double)f * f));
        int exponent = Math.ILogB(Math.Min(UsualEpsilons[0], smallest / 4));
        for (int shift = 0; shift < 3; shift++)
        {
            float epsilon = (float)Math.ScaleB(1.0, exponent - shift);
            if (float.IsNormal(epsilon) && VariancesFor(factors, epsilon) is float[] variance)
            {
                return (epsilon, variance);
            }
        }

        return null;
    }

    // Per factor, a variance ≥ 0 with 1f / MathF.Sqrt(variance + epsilon) == factor: 0 where it does (a dead channel at the
    // exporter's ε), else one near s − ε for a float sum s that gives the factor; null if a factor has none. The sums are
    // searched, not the variances: a variance far below ε has many floats per float of the sum, so the exporter's own
    // variance can lie 10⁴ floats from 1/factor² − ε.
    private static float[]? VariancesFor(float[] factors, float epsilon)
    {
        var variance = new float[factors.Length];
        for (int c = 0; c < factors.Length; c++)
        {
            if (!Gives(0f, epsilon, factors[c]))
            {
                if (VarianceFor(factors[c], epsilon) is not float v)
                {
                    return null;
                }

                variance[c] = v;
            }
        }

        return variance;
    }

    // The sums within SumSteps floats of 1/factor² (1f / MathF.Sqrt is within a few floats of it), nearest first, and for each
    // sum s that gives the factor the variances within VarianceSteps floats of s − ε (exact in double).
    private static float? VarianceFor(float factor, float epsilon)
    {
        const int SumSteps = 16, VarianceSteps = 2;
        float centre = (float)(1.0 / ((double)factor * factor));
        float up = centre, down = centre;
        for (int step = 0; step <= SumSteps; step++, up = MathF.BitIncrement(up), down = MathF.BitDecrement(down))
        {
            foreach (float sum in step == 0 ? new[] { centre } : new[] { up, down })
            {
                if (sum < epsilon || 1f / MathF.Sqrt(sum) != factor)
                {
                    continue;
                }

                float v = (float)((double)sum - epsilon), above = v, below = v;
                for (int k = 0; k <= VarianceSteps; k++, above = MathF.BitIncrement(above), below = MathF.BitDecrement(below))
                {
                    if (Gives(above, epsilon, factor))
                    {
                        return above;
                    }

                    if (below >= 0f && Gives(below, epsilon, factor))
                    {
                        return below;
                    }
                }
            }
        }

        return null;
    }

    // What BatchNorm.InverseStandardDeviation computes.
    private static bool Gives(float variance, float epsilon, float factor) => 1f / MathF.Sqrt(variance + epsilon) == factor;

    private static float[]? PerIndex(ImportGraph graph, ImportedValue x, string name) =>
        graph.TryGet(name, out ImportedValue value) && value.Constant is OnnxConstant c && ChannelConstants.IsPerIndex(x, c) && c.Values.All(double.IsFinite)
            ? c.ToFloats() : null;
}
