using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Import;
using Xunit;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// The ε and moving variance chosen for the Sub/Mul/[Mul]/[Add] chain ExportOnnx writes for BatchNormalization: every
/// factor 1f / MathF.Sqrt(variance + ε) an export can hold is given back to the bit (tiny and zero variances too), the
/// exporter's own ε where it is Keras' or PyTorch's default, and chains whose factors no variance gives import node by node.
/// </summary>
public sealed class ExportedBatchNormTests
{
    [Fact]
    public void Variances_GiveBackEveryExportedFactorToTheBit()
    {
        // 10,000 (variance, ε) pairs per ε, variances from 2^-40 to 2^30 and one in ten 0, each beside a channel of
        // variance 1 (the power-of-two ε then serves both); ε 1e-5 with 5.6073156e-07 failed with ε = smallest/4.
        var random = new Random(39);
        foreach (float exportEpsilon in new[] { 1e-3f, 1e-5f, 1e-1f, 1e-8f, 0f })
        {
            for (int t = 0; t < 10_000; t++)
            {
                float v = t % 10 == 0 ? (exportEpsilon == 0f ? 1e-30f : 0f) : t == 1 ? 5.6073156e-07f : (float)Math.Pow(2, (random.NextDouble() * 70) - 40);
                float[] factors = [1f / MathF.Sqrt(v + exportEpsilon), 1f / MathF.Sqrt(1f + exportEpsilon)];

                (float epsilon, float[] variance) = ExportedBatchNorm.Variances(factors)
                    ?? throw new Xunit.Sdk.XunitException($"No variance for v = {v:R}, ε = {exportEpsilon:R}.");

                for (int c = 0; c < 2; c++)
                {
                    Assert.True(variance[c] >= 0f, $"v = {v:R}, ε = {exportEpsilon:R}: variance {variance[c]:R}.");
                    Assert.Equal(factors[c], 1f / MathF.Sqrt(variance[c] + epsilon));
                }

                // The exporter's ε where it is a default; otherwise 1e-3, 1e-5 or a power of two at most a quarter of the smallest sum.
                if (exportEpsilon == 1e-3f)
                {
                    Assert.Equal(1e-3f, epsilon);
                }
                else if (exportEpsilon == 1e-5f)
                {
                    Assert.True(epsilon is 1e-3f or 1e-5f, $"v = {v:R}: ε {epsilon:R}.");
                }
                else if (epsilon is not (1e-3f or 1e-5f))
                {
                    Assert.Equal(0, BitConverter.SingleToInt32Bits(epsilon) & 0x7FFFFF);
                    Assert.True(epsilon <= (v + exportEpsilon) / 4 * 1.0001f, $"v = {v:R}, ε = {exportEpsilon:R}: ε {epsilon:R}.");
                }
            }
        }
    }

    [Fact]
    public void Variances_OfAKerasDefaultExportWithADeadChannel_KeepTheEpsilonAndTheVariances()
    {
        // ε 1e-3 and a variance-0 channel: ε stays 1e-3 and the dead channel's variance stays 0 (it was 2.5e-4 with every
        // variance shifted by 7.5e-4).
        float[] exported = [0f, 1e-7f, 3e-3f, 2.5f];
        float[] factors = [.. exported.Select(v => 1f / MathF.Sqrt(v + 1e-3f))];

        (float epsilon, float[] variance) = ExportedBatchNorm.Variances(factors)!.Value;

        Assert.Equal(1e-3f, epsilon);
        Assert.Equal(0f, variance[0]);
        for (int c = 0; c < exported.Length; c++)
        {
            Assert.Equal(factors[c], 1f / MathF.Sqrt(variance[c] + epsilon));
            Assert.True(Math.Abs(variance[c] - exported[c]) <= 1e-6f, $"Channel {c}: {variance[c]:R} for {exported[c]:R}.");
        }
    }

    [Fact]
    public void Variances_WhereNeitherDefaultEpsilonServes_TakeAPowerOfTwo()
    {
        // ε 1e-8, variance 1e-7: the factor 3015 is above 1/√1e-5, so neither default serves; smallest sum 1.1e-7 / 4 =
        // 2.75e-8 rounds down to 2^-26.
        float[] factors = [1f / MathF.Sqrt(1e-7f + 1e-8f), 1f / MathF.Sqrt(0.7f + 1e-8f)];

        (float epsilon, float[] variance) = ExportedBatchNorm.Variances(factors)!.Value;

        Assert.Equal(MathF.ScaleB(1f, -26), epsilon);
        Assert.Equal(factors, variance.Select(v => 1f / MathF.Sqrt(v + epsilon)));
    }

    [Theory]
    [InlineData(-0.5f)]
    [InlineData(0f)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public void Variances_OfAFactorNotFiniteAndPositive_AreNull(float factor) =>
        Assert.Null(ExportedBatchNorm.Variances([1f, factor]));

    [Theory]
    [InlineData(1e-3f, new[] { 0f, 1e-7f, 3e-3f, 2.5f }, 1e-3f)]
    [InlineData(1e-5f, new[] { 5.6073156e-07f, 1f, 0.7f, 2.5f }, 1e-5f)]
    [InlineData(1e-8f, new[] { 1e-7f, 1f, 0.7f, 2.5f }, 1.4901161e-08f)]
    public void ExportWithTinyVariances_ImportsAsOneBatchNormalization_PredictingTheSameFloats(float exportEpsilon, float[] variances, float importedEpsilon)
    {
        var input = new Input(4);
        var batchNorm = new BatchNormalization(epsilon: exportEpsilon);
        var original = new Functional(input, batchNorm.Call(new Dense(4).Call(input)));
        original.Randomized();
        variances.CopyTo(batchNorm.MovingVariance.Value.AsSpan());

        Functional imported = ImportChecks.Import(original.ToOnnxBytes());

        BatchNormalization layer = Assert.Single(imported.Layers.OfType<BatchNormalization>());
        Assert.Equal(importedEpsilon, layer.Epsilon);
        Tensor[] inputs = OnnxRoundTrip.RandomInputs(original, batch: 5);
        Assert.Equal(original.PredictOutputs(inputs)[0].AsReadOnlySpan().ToArray(), imported.PredictOutputs(inputs)[0].AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void HandBuiltChainWhoseFactorsNoVarianceGives_ImportsNodeByNode_MatchingOnnxRuntime()
    {
        // Per-channel factors that no float variance + ε gives through 1f / MathF.Sqrt (the floats after 1.5 that
        // Variances refuses): the Sub, Mul, Mul and Add import one by one.
        var factors = new List<float>();
        for (float k = 1.5f; factors.Count < 3; k = MathF.BitIncrement(k))
        {
            if (ExportedBatchNorm.Variances([k]) is null)
            {
                factors.Add(k);
            }
        }

        var g = new OnnxGraphs(92);
        Chain(g, g.Floats([1, 3, 1, 1], [.. factors]));

        foreach (int batch in new[] { 3, 1 })
        {
            Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "x", [batch, 3, 4, 4]);

            Assert.Equal(4, model.Layers.OfType<BatchNormalization>().Count());
        }
    }

    [Fact]
    public void HandBuiltChainWithNegativeFactors_ImportsNodeByNode_MatchingOnnxRuntime()
    {
        // Factors in [-30, 30], some negative: no 1/√(variance + ε) gives them.
        var g = new OnnxGraphs(93);
        Chain(g, g.Weight([1, 3, 1, 1], scale: 30f));

        foreach (int batch in new[] { 3, 1 })
        {
            Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "x", [batch, 3, 4, 4]);

            Assert.Equal(4, model.Layers.OfType<BatchNormalization>().Count());
        }
    }

    // Relu(x) − mean, · factor, · γ, + β: the exported chain's shape with per-channel constants, the factor given.
    private static void Chain(OnnxGraphs g, string factor)
    {
        string y = g.Node("Sub", [g.Node("Relu", [g.Input("x", -1, 3, 4, 4)]), g.Weight([3, 1, 1])]);
        y = g.Node("Mul", [factor, y]);
        y = g.Node("Mul", [y, g.Weight([3, 1, 1])]);
        y = g.Node("Add", [g.Weight([3, 1, 1]), y]);
        g.Output(y);
    }
}
