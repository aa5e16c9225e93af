using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Serialization;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Layers.Attention;

public class MultiHeadAttentionTests
{
    // name, heads, keyDim, valueDim, useBias, output features, has key, causal, mask shape per sample (null: no mask).
    public static TheoryData<string> Cases => ["cross", "with_key", "causal", "mask_tq_tv", "mask_heads", "mask_broadcast", "mask_and_causal", "no_bias_value_dim_output", "one_head",
        "gated", "gated_no_bias_value_dim_output_masked"];

    // Gate: Keras 3.15's use_gate.
    private sealed record Case(int Heads, int KeyDim, int? ValueDim, bool UseBias, int? Output, bool HasKey, bool Causal, int[]? Mask, int Tq = 4, int Tv = 5, int Dq = 6, int Dv = 6, int Dk = 6, bool Gate = false);

    private static Case Get(string name) => name switch
    {
        "cross" => new(2, 3, null, true, null, false, false, null),
        "with_key" => new(2, 3, null, true, null, true, false, null, Dk: 3),
        "causal" => new(2, 3, null, true, null, false, true, null, Tq: 4, Tv: 4),
        "mask_tq_tv" => new(2, 3, null, true, null, false, false, [4, 5]),
        "mask_heads" => new(2, 3, null, true, null, true, false, [2, 4, 5], Dk: 5),
        "mask_broadcast" => new(3, 2, null, true, null, false, false, [1, 1, 5]),
        "mask_and_causal" => new(2, 3, null, true, null, false, true, [1, 5], Tq: 5, Tv: 5),
        "no_bias_value_dim_output" => new(2, 2, 4, false, 5, false, false, null, Dq: 3, Dv: 7),
        "one_head" => new(1, 4, null, true, null, true, true, [4, 4], Tq: 4, Tv: 4, Dk: 2),
        "gated" => new(2, 3, null, true, null, false, false, null, Gate: true),
        "gated_no_bias_value_dim_output_masked" => new(2, 2, 4, false, 5, true, true, [2, 5, 5], Tq: 5, Tv: 5, Dq: 3, Dv: 7, Dk: 4, Gate: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown case."),
    };

    private static (MultiHeadAttention Layer, Tensor[] Inputs) Setup(Case c, int batch = 2, double dropout = 0.0, long seed = 1)
    {
        var layer = new MultiHeadAttention(c.Heads, c.KeyDim, c.ValueDim, dropout, c.UseBias, c.Output, biasInitializer: new RandomNormal(0, 0.3, 5),
            useCausalMask: c.Causal, useAttentionMask: c.Mask is not null, seed: 77) { Seed = 9, UseGate = c.Gate };
        var inputs = new List<Tensor> { TestData.Normal(seed, 1f, batch, c.Tq, c.Dq), TestData.Normal(seed + 1, 1f, batch, c.Tv, c.Dv) };
        if (c.HasKey)
        {
            inputs.Add(TestData.Normal(seed + 2, 1f, batch, c.Tv, c.Dk));
        }

        if (c.Mask is int[] maskShape)
        {
            inputs.Add(RandomMask(seed + 3, [batch, .. maskShape]));
        }

        Tensor[] array = [.. inputs];
        layer.Build([.. array.Select(t => t.Shape.DropFirst())]);
        return (layer, array);
    }

    // 0/1 with about a quarter masked, and one 2 (any non-zero attends, as Keras casts the mask to bool).
    private static Tensor RandomMask(long seed, int[] dims)
    {
        Tensor mask = Tensor.RandomUniform(new TensorShape(dims), seed);
        Span<float> m = mask.AsSpan();
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = m[i] < 0.25f ? 0f : 1f;
        }

        m[0] = 2f;
        return mask;
    }

    /// <summary>
    /// Keras' formula in float64: projections, q·kᵀ / sqrt(dk), masked (+ −1e9) softmax, p·v, with a gate (Keras 3.15's
    /// use_gate) times sigmoid(query·Wg + bg) per head and channel, output projection. With
    /// <paramref name="explicitPath"/>, Keras' explicit path (Softmax times the mask, Keras 3.10+): masked probabilities
    /// are 0, so a row with every key masked is all 0.
    /// </summary>
    internal static (double[] Output, double[] Scores) Reference(MultiHeadAttention layer, Tensor query, Tensor value, Tensor? key, Tensor? mask, bool explicitPath = false)
    {
        key ??= value;
        int batch = query.Shape[0], tq = query.Shape[1], tv = value.Shape[1], h = layer.NumHeads, dk = layer.KeyDim, dv = layer.ValueDim;
        int e = layer.OutputShape[1];
        double[,,,] q = Projection(query, layer.QueryKernel, layer.QueryBias), k = Projection(key, layer.KeyKernel, layer.KeyBias), v = Projection(value, layer.ValueKernel, layer.ValueBias);
        double[,,,]? gate = layer.GateKernel is null ? null : Projection(query, layer.GateKernel, layer.GateBias);
        var scores = new double[batch * h * tq * tv];
        var output = new double[batch * tq * e];
        for (int b = 0; b < batch; b++)
        {
            var context = new double[tq, h, dv];
            for (int n = 0; n < h; n++)
            {
                for (int t = 0; t < tq; t++)
                {
                    var s = new double[tv];
                    var keep = new bool[tv];
                    for (int j = 0; j < tv; j++)
                    {
                        for (int d = 0; d < dk; d++)
                        {
                            s[j] += q[b, t, n, d] / Math.Sqrt(dk) * k[b, j, n, d];
                        }

                        bool allowed = (!layer.UseCausalMask || j <= t) && (mask is null || MaskAt(mask, b, n, t, j) != 0);
                        keep[j] = allowed;
                        if (!allowed)
                        {
                            s[j] = (float)((float)s[j] + -1e9f);
                        }
                    }

                    double max = s.Max(), sum = s.Sum(x => Math.Exp(x - max));
                    for (int j = 0; j < tv; j++)
                    {
                        double p = explicitPath && !keep[j] ? 0 : Math.Exp(s[j] - max) / sum;
                        scores[(((((b * h) + n) * tq) + t) * tv) + j] = p;
                        for (int d = 0; d < dv; d++)
                        {
                            context[t, n, d] += p * v[b, j, n, d];
                        }
                    }
                }
            }

            for (int t = 0; t < tq && gate is not null; t++)
            {
                for (int n = 0; n < h; n++)
                {
                    for (int d = 0; d < dv; d++)
                    {
                        context[t, n, d] *= 1.0 / (1.0 + Math.Exp(-gate[b, t, n, d]));
                    }
                }
            }

            for (int t = 0; t < tq; t++)
            {
                for (int o = 0; o < e; o++)
                {
                    double y = layer.OutputBias is null ? 0 : layer.OutputBias.Value[o];
                    for (int n = 0; n < h; n++)
                    {
                        for (int d = 0; d < dv; d++)
                        {
                            y += context[t, n, d] * layer.OutputKernel.Value[n, d, o];
                        }
                    }

                    output[(((b * tq) + t) * e) + o] = y;
                }
            }
        }

        return (output, scores);
    }

    // Per-sample mask (a, b) or (heads, a, b), broadcast along axes of length 1.
    private static float MaskAt(Tensor mask, int b, int n, int t, int s)
    {
        ReadOnlySpan<int> d = mask.Shape.Dimensions;
        return d.Length == 3
            ? mask[b, d[1] == 1 ? 0 : t, d[2] == 1 ? 0 : s]
            : mask[b, d[1] == 1 ? 0 : n, d[2] == 1 ? 0 : t, d[3] == 1 ? 0 : s];
    }

    // x (B, T, in) · kernel (in, heads, size) + bias (heads, size) -> (B, T, heads, size).
    private static double[,,,] Projection(Tensor x, Parameter kernel, Parameter? bias)
    {
        int batch = x.Shape[0], steps = x.Shape[1], features = x.Shape[2], heads = kernel.Shape[1], size = kernel.Shape[2];
        var y = new double[batch, steps, heads, size];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                for (int n = 0; n < heads; n++)
                {
                    for (int d = 0; d < size; d++)
                    {
                        double sum = bias is null ? 0 : bias.Value[n, d];
                        for (int f = 0; f < features; f++)
                        {
                            sum += (double)x[b, t, f] * kernel.Value[f, n, d];
                        }

                        y[b, t, n, d] = sum;
                    }
                }
            }
        }

        return y;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesKerasFormulaInFloat64(string name)
    {
        Case c = Get(name);
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(c);
        float[] y = layer.Forward(inputs, training: false).ToArray();
        float[] scores = layer.LastAttentionScores.ToArray();

        (double[] output, double[] expectedScores) = Reference(layer, inputs[0], inputs[1], c.HasKey ? inputs[2] : null, c.Mask is null ? null : inputs[^1]);
        Assert.Equal([2, c.Tq, c.Output ?? c.Dq], layer.OutputShape.Prepend(2).Dimensions.ToArray());
        Assert.Equal([2, c.Heads, c.Tq, c.Tv], layer.LastAttentionScores.Shape.Dimensions.ToArray());
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - output[i]) <= 1e-5 + (1e-5 * Math.Abs(output[i])), $"{name}: output {i} is {y[i]}, Keras' formula gives {output[i]}");
        }

        for (int i = 0; i < scores.Length; i++)
        {
            Assert.True(Math.Abs(scores[i] - expectedScores[i]) <= 1e-6, $"{name}: score {i} is {scores[i]}, Keras' formula gives {expectedScores[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesNumericalGradients(string name)
    {
        Case c = Get(name);
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(c);
        int[] sequences = [.. Enumerable.Range(0, c.HasKey ? 3 : 2)];
        StochasticGradientCheck.Check(layer, inputs, sequences, seed: 3, training: false).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData("cross")]
    [InlineData("mask_and_causal")]
    [InlineData("gated")]
    [InlineData("gated_no_bias_value_dim_output_masked")]
    public void Backward_WithDropout_MatchesNumericalGradientsForTheSameMask(string name)
    {
        Case c = Get(name);
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(c, dropout: 0.4);
        int[] sequences = [.. Enumerable.Range(0, c.HasKey ? 3 : 2)];
        StochasticGradientCheck.Check(layer, inputs, sequences, seed: 4, training: true).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Dropout_TrainingOnly_SeededAndScaled()
    {
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(Get("cross"), dropout: 0.5);
        float[] inference = layer.Forward(inputs, training: false).ToArray();
        Assert.Equal(inference, layer.Forward(inputs, training: false).ToArray());
        float[] first = layer.Forward(inputs, training: true).ToArray();
        float[] second = layer.Forward(inputs, training: true).ToArray();
        Assert.NotEqual(inference, first);
        Assert.NotEqual(first, second);

        // The same seed draws the same masks; the scores are Keras' pre-dropout probabilities (rows sum to 1).
        (MultiHeadAttention again, _) = Setup(Get("cross"), dropout: 0.5);
        Assert.Equal(Bits(Tensor.FromArray(first, first.Length)), Bits(Tensor.FromArray(again.Forward(inputs, training: true).ToArray(), first.Length)));
        float[] scores = again.LastAttentionScores.ToArray();
        for (int row = 0; row < scores.Length; row += 5)
        {
            Assert.Equal(1.0, scores.AsSpan(row, 5).ToArray().Sum(x => (double)x), 1e-5);
        }
    }

    // keras/src/layers/attention/multi_head_attention_test.py, test_correctness: identity kernels, zero biases.
    [Fact]
    public void Forward_KerasCorrectnessTestValues()
    {
        const int heads = 8, keyDim = 8;
        var layer = new MultiHeadAttention(heads, keyDim, useAttentionMask: false);
        Tensor query = new(1, keyDim, keyDim), key = new(1, keyDim, keyDim), value = new(1, keyDim, keyDim);
        for (int i = 0; i < keyDim; i++)
        {
            query[0, i, i] = 1f;
            key[0, i, i] = 1f;
            for (int j = 0; j < keyDim; j++)
            {
                value[0, i, j] = ((i * keyDim) + j) / 100f;
            }
        }

        layer.Build(query.Shape.DropFirst(), value.Shape.DropFirst(), key.Shape.DropFirst());
        foreach (Parameter p in layer.Parameters)
        {
            p.Value.AsSpan().Clear();
        }

        // Keras' identity kernel with a head axis: kernel[a, head, c] = (a == c); for the output kernel (heads, valueDim, out) the same array.
        foreach (Parameter kernel in new[] { layer.QueryKernel, layer.KeyKernel, layer.ValueKernel, layer.OutputKernel })
        {
            for (int a = 0; a < keyDim; a++)
            {
                for (int n = 0; n < heads; n++)
                {
                    kernel.Value[a, n, a] = 1f;
                }
            }
        }

        Tensor output = layer.Forward([query, value, key], training: false);

        float[] expectedRow = [2.406f, 2.440f, 2.473f, 2.504f, 2.535f, 2.568f, 2.602f, 2.633f];
        for (int t = 0; t < keyDim; t++)
        {
            for (int f = 0; f < keyDim; f++)
            {
                Assert.Equal(expectedRow[t], output[0, t, f], 0.01f);
            }
        }

        for (int n = 0; n < heads; n++)
        {
            for (int t = 0; t < keyDim; t++)
            {
                for (int s = 0; s < keyDim; s++)
                {
                    Assert.Equal(t == s ? 0.1691f : 0.1187f, layer.LastAttentionScores[0, n, t, s], 0.001f);
                }
            }
        }
    }

    // Keras' test_masking_with_different_shapes and test_causal_only_*: a mask broadcast from (Tq, Tv) or given per head
    // gives the same output; use_causal_mask equals the explicit lower-triangular mask, and combines with another by "and".
    [Fact]
    public void Masks_OfDifferentShapesAndTheCausalMask_Agree()
    {
        Tensor x = TestData.Normal(2, 1f, 2, 5, 8);
        var tril = new Tensor(2, 5, 5);
        var perHead = new Tensor(2, 2, 5, 5);
        var extra = new Tensor(2, 5, 5);
        for (int b = 0; b < 2; b++)
        {
            for (int t = 0; t < 5; t++)
            {
                for (int s = 0; s < 5; s++)
                {
                    tril[b, t, s] = s <= t ? 1f : 0f;
                    perHead[b, 0, t, s] = perHead[b, 1, t, s] = tril[b, t, s];
                    extra[b, t, s] = t == 2 && s == 1 ? 0f : 1f;
                }
            }
        }

        var merged = new Tensor(2, 5, 5);
        System.Numerics.Tensors.TensorPrimitives.Multiply(tril.AsReadOnlySpan(), extra.AsReadOnlySpan(), merged.AsSpan());

        float[] Run(bool causal, Tensor? mask)
        {
            var layer = new MultiHeadAttention(2, 4, useCausalMask: causal, useAttentionMask: mask is not null) { Seed = 3 };
            return (mask is null ? layer.Forward([x, x.Clone()], false) : layer.Forward([x, x.Clone(), mask], false)).ToArray();
        }

        float[] explicitMask = Run(false, tril);
        Assert.Equal(explicitMask, Run(false, perHead));
        Assert.Equal(explicitMask, Run(true, null));
        Assert.Equal(Run(false, merged), Run(true, extra));
        Assert.NotEqual(explicitMask, Run(false, null));
    }

    [Fact]
    public void Weights_HaveKerasNamesShapesAndCounts()
    {
        // Keras' test_basics: 8 weights with biases, 4 without.
        var layer = new MultiHeadAttention(2, 2);
        layer.Build(new TensorShape(8, 16), new TensorShape(4, 16));
        Assert.Equal(
            ["query/kernel (16, 2, 2)", "query/bias (2, 2)", "key/kernel (16, 2, 2)", "key/bias (2, 2)", "value/kernel (16, 2, 2)", "value/bias (2, 2)", "attention_output/kernel (2, 2, 16)", "attention_output/bias (16,)"],
            layer.Parameters.Select(p => p.ToString()));
        Assert.Equal([8, 16], layer.OutputShape.Dimensions.ToArray());
        var noBias = new MultiHeadAttention(2, 2, valueDim: 4, useBias: false, dropout: 0.5);
        noBias.Build(new TensorShape(8, 16), new TensorShape(4, 16));
        Assert.Equal(4, noBias.Parameters.Count);
        Assert.Equal([2, 4, 16], noBias.OutputKernel.Shape.Dimensions.ToArray());
        var projected = new MultiHeadAttention(2, 16, outputShape: 8);
        projected.Build(new TensorShape(4, 16), new TensorShape(4, 16));
        Assert.Equal([4, 8], projected.OutputShape.Dimensions.ToArray());
        Assert.Equal("multi_head_attention", layer.DefaultNamePrefix);

        // Keras 3.15's use_gate: an EinsumDense of the query with (heads, valueDim) outputs, built after the key's.
        var gated = new MultiHeadAttention(2, 2, valueDim: 3) { UseGate = true };
        gated.Build(new TensorShape(8, 16), new TensorShape(4, 12));
        Assert.Equal(
            ["query/kernel (16, 2, 2)", "query/bias (2, 2)", "key/kernel (12, 2, 2)", "key/bias (2, 2)", "gate/kernel (16, 2, 3)", "gate/bias (2, 3)", "value/kernel (12, 2, 3)", "value/bias (2, 3)", "attention_output/kernel (2, 3, 16)", "attention_output/bias (16,)"],
            gated.Parameters.Select(p => p.ToString()));
        var gatedNoBias = new MultiHeadAttention(2, 2, useBias: false) { UseGate = true };
        gatedNoBias.Build(new TensorShape(8, 16), new TensorShape(4, 16));
        Assert.Equal(5, gatedNoBias.Parameters.Count);
        Assert.Null(gatedNoBias.GateBias);
        Assert.Null(layer.GateKernel);
    }

    [Fact]
    public void BadInput_ThrowsNamingTheLayerAndShapes()
    {
        Assert.Contains("numHeads=0", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiHeadAttention(0, 4)).Message, StringComparison.Ordinal);
        Assert.Contains("keyDim=0", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiHeadAttention(2, 0)).Message, StringComparison.Ordinal);
        Assert.Contains("valueDim=-1", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiHeadAttention(2, 4, valueDim: -1)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiHeadAttention(2, 4, dropout: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiHeadAttention(2, 4, outputShape: 0));

        var flat = new MultiHeadAttention(2, 4, name: "mha");
        string rank = Assert.Throws<ArgumentException>(() => flat.Build(new TensorShape(8), new TensorShape(4, 8))).Message;
        Assert.Contains("MultiHeadAttention 'mha' expects a query and a value of one rank, at least (None, steps, features), but got query (None, 8) and value (None, 4, 8)", rank, StringComparison.Ordinal);
        Assert.False(flat.IsBuilt);

        // Keras' test_shape_mismatch_error: key and value must share every dimension but the last.
        string mismatch = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(4, 2, name: "mha").Build(new TensorShape(4, 8), new TensorShape(2, 8), new TensorShape(1, 7))).Message;
        Assert.Contains("MultiHeadAttention 'mha'", mismatch, StringComparison.Ordinal);
        Assert.Contains("value (None, 2, 8) and key (None, 1, 7)", mismatch, StringComparison.Ordinal);

        string mask = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 4, useAttentionMask: true, name: "mha").Build(new TensorShape(4, 8), new TensorShape(5, 8), new TensorShape(3, 4, 5))).Message;
        Assert.Contains("MultiHeadAttention 'mha': the attention mask (None, 3, 4, 5) does not broadcast to (batch, heads, queries, keys) = (None, 2, 4, 5)", mask, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 4, useAttentionMask: true).Build(new TensorShape(4, 8), new TensorShape(5, 8), new TensorShape(5, 4)));
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 4, useAttentionMask: true).Build(new TensorShape(4, 8), new TensorShape(5, 8), new TensorShape(5)));

        string count = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 4, name: "mha").Build(new TensorShape(4, 8))).Message;
        Assert.Contains("MultiHeadAttention 'mha' takes 2 to 3 input(s) but was given 1", count, StringComparison.Ordinal);

        var built = new MultiHeadAttention(2, 4, name: "mha");
        built.Build(new TensorShape(4, 8), new TensorShape(5, 8));
        Assert.Throws<ArgumentException>(() => built.Forward([new Tensor(2, 4, 8), new Tensor(2, 6, 8)], false));
        Assert.Throws<InvalidOperationException>(() => built.LastAttentionScores);
    }

    [Fact]
    public void Config_RoundTripsAndReadsKerasForms()
    {
        var layer = new MultiHeadAttention(3, 4, 5, 0.25, false, 7, useCausalMask: true, useAttentionMask: true, seed: 11, name: "mha");
        Config config = layer.GetConfig();
        Assert.Equal(3, config.GetInt32("num_heads"));
        Assert.Equal("[7]", config.GetNode("output_shape")!.ToJsonString());
        var back = MultiHeadAttention.FromConfig(config);
        Assert.Equal(config.ToJson(), back.GetConfig().ToJson());

        // Keras writes output_shape as an int or a list, value_dim as null or an int, attention_axes as null or the sequence axis.
        Config keras = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "m", "num_heads": 2, "key_dim": 3, "value_dim": null, "output_shape": 6, "attention_axes": [1]}""").RootElement, "test", "config");
        MultiHeadAttention read = MultiHeadAttention.FromConfig(keras);
        Assert.Equal((2, 3, 3, 6), (read.NumHeads, read.KeyDim, read.ValueDim, read.OutputDim!.Value));
        Assert.Equal([1], read.AttentionAxes);
        Assert.False(read.UseGate);
        Assert.Null(read.FlashAttention);

        // use_gate (Keras 3.15) and flash_attention (a hardware choice, kept for the round trip) are read and written.
        var gated = new MultiHeadAttention(2, 3, name: "g") { UseGate = true, FlashAttention = false };
        Config gatedConfig = gated.GetConfig();
        Assert.True(gatedConfig.GetBoolean("use_gate"));
        Assert.False(gatedConfig.GetBoolean("flash_attention"));
        Assert.Null(config.GetNode("flash_attention"));
        Assert.False(config.GetBoolean("use_gate"));
        MultiHeadAttention gatedBack = MultiHeadAttention.FromConfig(gatedConfig);
        Assert.True(gatedBack.UseGate);
        Assert.False(gatedBack.FlashAttention);
        Assert.Equal(gatedConfig.ToJson(), gatedBack.GetConfig().ToJson());
        Config kerasGated = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "m", "num_heads": 2, "key_dim": 3, "use_gate": true, "flash_attention": true}""").RootElement, "test", "config");
        Assert.True(MultiHeadAttention.FromConfig(kerasGated).UseGate);
        Assert.True(MultiHeadAttention.FromConfig(kerasGated).FlashAttention);

        // Keras 3.15's sliding_window: null is full attention; a window is refused rather than ignored.
        Config nullWindow = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "m", "num_heads": 2, "key_dim": 3, "sliding_window": null}""").RootElement, "test", "config");
        Assert.Equal(2, MultiHeadAttention.FromConfig(nullWindow).NumHeads);
        Config window = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "m", "num_heads": 2, "key_dim": 3, "sliding_window": 4}""").RootElement, "test", "config");
        string refused = Assert.Throws<InvalidDataException>(() => MultiHeadAttention.FromConfig(window)).Message;
        Assert.Contains("\"sliding_window\" is 4", refused, StringComparison.Ordinal);
        Assert.Contains("only null (full attention) is supported", refused, StringComparison.Ordinal);

        // As Keras: flash attention refuses dropout, naming both.
        string flash = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 3, dropout: 0.1, name: "mha") { FlashAttention = true }).Message;
        Assert.Contains("MultiHeadAttention 'mha': dropout is not supported when flash attention is enabled", flash, StringComparison.Ordinal);
        Assert.Contains("dropout=0.1", flash, StringComparison.Ordinal);
    }

    /// <summary>Self-attention over a sequence with a mask input, causal and dropout, then pooling and a dense head.</summary>
    private static Functional TransformerBlock(long seed)
    {
        var tokens = new Input(new TensorShape(6, 8), "tokens");
        var mask = new Input(new TensorShape(6, 6), "mask");
        SymbolicTensor attended = new MultiHeadAttention(2, 4, dropout: 0.2, useCausalMask: true, useAttentionMask: true, name: "mha").Call(tokens, tokens, mask);
        SymbolicTensor sum = new Add(name: "residual").Call(tokens, attended);
        SymbolicTensor pooled = new GlobalAveragePooling1D(name: "pool").Call(sum);
        SymbolicTensor output = new Dense(3, name: "head").Call(pooled);
        return new Functional([tokens, mask], [output], name: "block", seed: seed);
    }

    private static (Tensor X, Tensor Mask, Tensor Y) Data(int count)
    {
        Tensor x = TestData.Normal(21, 1f, count, 6, 8);
        Tensor mask = RandomMask(22, [count, 6, 6]);
        Tensor y = TestData.Normal(23, 1f, count, 3);
        return (x, mask, y);
    }

    [Fact]
    public void SaveLoad_InAFunctionalModel_RoundTripsBitForBitAndResumesDropout()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mha.safetensors");
        Functional model = TransformerBlock(5);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        (Tensor x, Tensor mask, Tensor y) = Data(16);
        model.Fit(new[] { x, mask }, y, epochs: 2, batchSize: 4, verbose: 0);
        model.Save(path);

        var loaded = (Functional)Model.Load(path);
        Assert.IsType<MultiHeadAttention>(loaded.Layers.Single(l => l.Name == "mha"));
        Assert.Equal(model.Summary(), loaded.Summary());
        Assert.Equal(Bits(model.Predict(new[] { x, mask })), Bits(loaded.Predict(new[] { x, mask })));

        // The dropout stream was saved with the model: training goes on identically.
        History continued = model.Fit(new[] { x, mask }, y, epochs: 1, batchSize: 4, verbose: 0);
        History resumed = loaded.Fit(new[] { x, mask }, y, epochs: 1, batchSize: 4, verbose: 0);
        Assert.Equal(continued["loss"], resumed["loss"]);
        for (int i = 0; i < model.Parameters.Count; i++)
        {
            Assert.Equal(Bits(model.Parameters[i].Value), Bits(loaded.Parameters[i].Value));
        }
    }

    [Fact]
    public void TrainingStep_AfterWarmUp_AllocatesNothing()
    {
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(Get("mask_and_causal"), batch: 3, dropout: 0.3);
        (MultiHeadAttention shared, Tensor[] selfInputs) = Setup(Get("gated"), batch: 3, dropout: 0.3);
        Tensor upstream = TestData.Normal(8, 1f, 3, 5, 6);
        Tensor sharedUpstream = TestData.Normal(9, 1f, 3, 4, 6);
        var slots = new Tensor?[3];
        var sharedSlots = new Tensor?[2];

        void Step()
        {
            layer.Forward(inputs, training: true);
            layer.Backward(upstream, slots);
            shared.Forward(selfInputs, training: true);
            shared.Backward(sharedUpstream, sharedSlots);
            _ = layer.LastAttentionScores;
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }

    [Fact]
    public void Output_IsTheSameBitsWithOneAndTwoThreads()
    {
        // Large enough that the projections' GEMMs (2048 x 128 x 160) pass the size at which the GEMM uses threads.
        var c = new Case(4, 32, null, true, null, true, true, [128, 128], Tq: 128, Tv: 128, Dq: 160, Dv: 160, Dk: 160, Gate: true);
        float[] Run(int threads)
        {
            int saved = Parallelism.MaxDegreeOfParallelism;
            try
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                (MultiHeadAttention layer, Tensor[] inputs) = Setup(c, batch: 16);
                Tensor y = layer.Forward(inputs, training: false);
                var slots = new Tensor?[4];
                layer.Backward(TestData.Normal(5, 1f, 16, 128, 160), slots);
                return [.. y.ToArray(), .. slots[0]!.ToArray(), .. layer.QueryKernel.Gradient.ToArray(), .. layer.GateKernel!.Gradient.ToArray()];
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = saved;
            }
        }

        Assert.Equal(Run(1), Run(2));
    }
}
