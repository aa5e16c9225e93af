using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Serialization;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;
using AttentionLayer = NeuralNet.Layers.Attention;

namespace NeuralNet.Tests.Layers.Attention;

public class DotAndAdditiveAttentionTests
{
    public static TheoryData<string> Cases =>
    [
        "dot", "dot_scale", "dot_key_causal", "dot_masks", "concat", "concat_scale_key", "concat_masks_causal",
        "additive", "additive_no_scale_key", "additive_masks_causal",
    ];

    private sealed record Case(string Kind, bool UseScale, bool HasKey, bool Causal, bool Masks, int Tq = 4, int Tv = 5, int Dim = 3, int Dv = 4);

    private static Case Get(string name) => name switch
    {
        "dot" => new("dot", false, false, false, false, Dv: 3),
        "dot_scale" => new("dot", true, false, false, false, Dv: 3),
        "dot_key_causal" => new("dot", true, true, true, false, Tq: 5),
        "dot_masks" => new("dot", false, true, false, true),
        "concat" => new("concat", false, false, false, false, Dv: 3),
        "concat_scale_key" => new("concat", true, true, false, false),
        "concat_masks_causal" => new("concat", true, true, true, true, Tq: 5),
        "additive" => new("additive", true, false, false, false, Dv: 3),
        "additive_no_scale_key" => new("additive", false, true, false, false),
        "additive_masks_causal" => new("additive", true, true, true, true, Tq: 5),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown case."),
    };

    private static (MultiInputLayer Layer, Tensor[] Inputs) Setup(Case c, int batch = 2, double dropout = 0.0, long seed = 1)
    {
        MultiInputLayer layer = c.Kind == "additive"
            ? new AdditiveAttention(c.UseScale, dropout, c.Causal, c.Masks, seed: 41) { Seed = 3 }
            : new AttentionLayer(c.UseScale, c.Kind == "dot" ? AttentionScoreMode.Dot : AttentionScoreMode.Concat, dropout, c.Causal, c.Masks, seed: 41) { Seed = 3 };
        var inputs = new List<Tensor> { TestData.Normal(seed, 1f, batch, c.Tq, c.Dim), TestData.Normal(seed + 1, 1f, batch, c.Tv, c.Dv) };
        if (c.HasKey)
        {
            inputs.Add(TestData.Normal(seed + 2, 1f, batch, c.Tv, c.Dim));
        }

        if (c.Masks)
        {
            // Query step 1 of sample 0 and value step 2 of sample 1 masked; 3 counts as "keep" (any non-zero).
            var queryMask = Tensor.Ones(batch, c.Tq);
            var valueMask = Tensor.Ones(batch, c.Tv);
            queryMask[0, 1] = 0f;
            queryMask[1, 0] = 3f;
            valueMask[1, 2] = 0f;
            valueMask[0, c.Tv - 1] = 0f;
            inputs.Add(queryMask);
            inputs.Add(valueMask);
        }

        Tensor[] array = [.. inputs];
        layer.Build([.. array.Select(t => t.Shape.DropFirst())]);

        // Scales away from their starting values, so that a wrong use of them shows.
        foreach (Parameter p in layer.Parameters)
        {
            Span<float> v = p.Value.AsSpan();
            for (int i = 0; i < v.Length; i++)
            {
                v[i] = 0.7f + (0.3f * i);
            }
        }

        return (layer, array);
    }

    /// <summary>Keras' formulas in float64: scores, masked (−1e9) softmax over the keys, weights·value, query mask.</summary>
    private static (double[] Output, double[] Weights) Reference(Case c, MultiInputLayer layer, Tensor[] inputs)
    {
        Tensor query = inputs[0], value = inputs[1], key = c.HasKey ? inputs[2] : value;
        Tensor? queryMask = c.Masks ? inputs[^2] : null, valueMask = c.Masks ? inputs[^1] : null;
        int batch = query.Shape[0];
        double[] scale = layer.Parameters.Count > 0 && layer.Parameters[0].Name == "scale" ? [.. layer.Parameters[0].Value.ToArray().Select(x => (double)x)] : [];
        double concatWeight = layer.Parameters.FirstOrDefault(p => p.Name == "concat_score_weight")?.Value.ToArray()[0] ?? 1.0;
        var output = new double[batch * c.Tq * c.Dv];
        var weights = new double[batch * c.Tq * c.Tv];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < c.Tq; t++)
            {
                var s = new double[c.Tv];
                for (int j = 0; j < c.Tv; j++)
                {
                    for (int d = 0; d < c.Dim; d++)
                    {
                        double q = query[b, t, d], k = key[b, j, d];
                        s[j] += c.Kind switch
                        {
                            "dot" => q * k * (scale.Length > 0 ? scale[0] : 1),
                            "concat" => concatWeight * Math.Tanh((scale.Length > 0 ? scale[0] : 1) * (q + k)),
                            _ => (scale.Length > 0 ? scale[d] : 1) * Math.Tanh(q + k),
                        };
                    }

                    if ((c.Causal && j > t) || (valueMask is not null && valueMask[b, j] == 0f))
                    {
                        s[j] -= 1e9;
                    }
                }

                double max = s.Max(), sum = s.Sum(x => Math.Exp(x - max));
                for (int j = 0; j < c.Tv; j++)
                {
                    double p = Math.Exp(s[j] - max) / sum;
                    weights[(((b * c.Tq) + t) * c.Tv) + j] = p;
                    for (int d = 0; d < c.Dv; d++)
                    {
                        output[(((b * c.Tq) + t) * c.Dv) + d] += queryMask is not null && queryMask[b, t] == 0f ? 0 : p * value[b, j, d];
                    }
                }
            }
        }

        return (output, weights);
    }

    private static Tensor Scores(MultiInputLayer layer) => layer is AdditiveAttention additive ? additive.LastAttentionScores : ((AttentionLayer)layer).LastAttentionScores;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesKerasFormulaInFloat64(string name)
    {
        Case c = Get(name);
        (MultiInputLayer layer, Tensor[] inputs) = Setup(c);
        float[] y = layer.Forward(inputs, training: false).ToArray();
        (double[] output, double[] weights) = Reference(c, layer, inputs);
        Assert.Equal([c.Tq, c.Dv], layer.OutputShape.Dimensions.ToArray());
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - output[i]) <= 1e-5 + (1e-5 * Math.Abs(output[i])), $"{name}: output {i} is {y[i]}, Keras' formula gives {output[i]}");
        }

        float[] scores = Scores(layer).ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.True(Math.Abs(scores[i] - weights[i]) <= 1e-6, $"{name}: weight {i} is {scores[i]}, Keras' formula gives {weights[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesNumericalGradients(string name)
    {
        Case c = Get(name);
        (MultiInputLayer layer, Tensor[] inputs) = Setup(c);
        StochasticGradientCheck.Check(layer, inputs, [.. Enumerable.Range(0, c.HasKey ? 3 : 2)], seed: 6, training: false).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData("dot_key_causal")]
    [InlineData("concat_masks_causal")]
    [InlineData("additive")]
    public void Backward_WithDropout_MatchesNumericalGradientsForTheSameMask(string name)
    {
        Case c = Get(name);
        (MultiInputLayer layer, Tensor[] inputs) = Setup(c, dropout: 0.3);
        StochasticGradientCheck.Check(layer, inputs, [.. Enumerable.Range(0, c.HasKey ? 3 : 2)], seed: 7, training: true).AssertPassed(maxKinkFraction: 0);
    }

    private static Tensor T(float[,] values) => Tensor.FromArray([.. values.Cast<float>()], 1, values.GetLength(0), values.GetLength(1));

    // keras/src/layers/attention/attention_test.py and additive_attention_test.py, test_attention_correctness.
    [Theory]
    [InlineData("dot", 2.462f, 3.462f, 1.538f, 2.538f, 0.269f, 0.731f)]
    [InlineData("concat", 1.727f, 2.727f, 2.272f, 3.272f, 0.636f, 0.363f)]
    [InlineData("additive", 1.727f, 2.727f, 2.272f, 3.272f, 0.636f, 0.363f)]
    public void Forward_KerasCorrectnessTestValues(string kind, float y00, float y01, float y10, float y11, float p00, float p01)
    {
        Tensor query = T(new float[,] { { 1, 0 }, { 0, 1 } }), key = T(new float[,] { { 0, 1 }, { 1, 0 } }), value = T(new float[,] { { 1, 2 }, { 3, 4 } });
        MultiInputLayer layer = kind == "additive" ? new AdditiveAttention(useScale: false)
            : new AttentionLayer(scoreMode: kind == "dot" ? AttentionScoreMode.Dot : AttentionScoreMode.Concat);
        Tensor y = layer.Forward([query, value, key], training: false);
        Assert.Equal([y00, y01, y10, y11], y.ToArray(), new Tolerance(1e-3f));
        Assert.Equal([p00, p01, p01, p00], Scores(layer).ToArray(), new Tolerance(1e-3f));
    }

    // test_attention_with_mask: a masked value step gets weight 0, a masked query step outputs 0.
    [Theory]
    [InlineData("dot")]
    [InlineData("additive")]
    public void Forward_KerasMaskTestValues(string kind)
    {
        Tensor query = T(new float[,] { { 1, 0 }, { 0, 1 } }), value = T(new float[,] { { 1, 1 }, { 1, 1 } });
        Tensor queryMask = Tensor.FromArray([1f, 0f], 1, 2), valueMask = Tensor.FromArray([1f, 0f], 1, 2);
        MultiInputLayer layer = kind == "additive" ? new AdditiveAttention(useScale: false, useMasks: true) : new AttentionLayer(useMasks: true);
        Tensor y = layer.Forward([query, value, queryMask, valueMask], training: false);
        Assert.Equal([1f, 1f, 0f, 0f], y.ToArray(), new Tolerance(1e-6f));
        Assert.Equal([1f, 0f, 1f, 0f], Scores(layer).ToArray(), new Tolerance(1e-6f));
    }

    [Fact]
    public void Dropout_ChangesWeightsOnlyInTraining_AndTheSameSeedRepeats()
    {
        // Keras' test_attention_with_dropout: with dropout in training the output and the weights differ from without.
        (MultiInputLayer layer, Tensor[] inputs) = Setup(Get("dot"), dropout: 0.4);
        (MultiInputLayer plain, _) = Setup(Get("dot"));
        float[] reference = plain.Forward(inputs, training: true).ToArray();
        Assert.Equal(reference, layer.Forward(inputs, training: false).ToArray());
        float[] dropped = layer.Forward(inputs, training: true).ToArray();
        Assert.NotEqual(reference, dropped);
        float[] weights = Scores(layer).ToArray();
        Assert.Contains(0f, weights);
        (MultiInputLayer again, _) = Setup(Get("dot"), dropout: 0.4);
        Assert.Equal(dropped, again.Forward(inputs, training: true).ToArray());
    }

    [Fact]
    public void Weights_AndShapes_AreKeras()
    {
        // Keras' test_attention_basics: 0 weights for dot, 2 for scale + concat; AdditiveAttention 1 with scale, 0 without.
        var dot = new AttentionLayer(dropout: 0.5);
        dot.Build(new TensorShape(3, 4), new TensorShape(4, 4));
        Assert.Empty(dot.Parameters);
        Assert.Equal([3, 4], dot.OutputShape.Dimensions.ToArray());
        var concat = new AttentionLayer(useScale: true, scoreMode: AttentionScoreMode.Concat);
        concat.Build(new TensorShape(3, 4), new TensorShape(4, 4));
        Assert.Equal(["scale ()", "concat_score_weight ()"], concat.Parameters.Select(p => p.ToString()));
        var additive = new AdditiveAttention();
        additive.Build(new TensorShape(3, 4), new TensorShape(4, 4));
        Assert.Equal(["scale (4,)"], additive.Parameters.Select(p => p.ToString()));
        var unscaled = new AdditiveAttention(useScale: false);
        unscaled.Build(new TensorShape(3, 4), new TensorShape(4, 4));
        Assert.Empty(unscaled.Parameters);

        // test_attention_compute_output_shape: (query steps, value features).
        var shaped = new AttentionLayer();
        shaped.Build(new TensorShape(3, 4), new TensorShape(3, 5), new TensorShape(3, 4));
        Assert.Equal([3, 5], shaped.OutputShape.Dimensions.ToArray());
        Assert.Equal(("attention", "additive_attention"), (dot.DefaultNamePrefix, additive.DefaultNamePrefix));
    }

    [Fact]
    public void BadInput_ThrowsNamingTheLayerAndShapes()
    {
        Assert.Contains("score_mode", Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionLayer(scoreMode: (AttentionScoreMode)7)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionLayer(dropout: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdditiveAttention(dropout: 1.0));

        // Keras' test_attention_errors: 2 or 3 inputs.
        string count = Assert.Throws<ArgumentException>(() => new AttentionLayer(name: "att").Build(new TensorShape(2, 2))).Message;
        Assert.Contains("Attention 'att' takes 2 to 3 input(s) but was given 1", count, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new AttentionLayer().Build(new TensorShape(2, 2), new TensorShape(2, 2), new TensorShape(2, 2), new TensorShape(2, 2)));

        string dims = Assert.Throws<ArgumentException>(() => new AttentionLayer(name: "att").Build(new TensorShape(3, 4), new TensorShape(5, 6))).Message;
        Assert.Contains("Attention 'att': query, value and key must be", dims, StringComparison.Ordinal);
        Assert.Contains("query (None, 3, 4), value (None, 5, 6) and key (None, 5, 6)", dims, StringComparison.Ordinal);
        string rank = Assert.Throws<ArgumentException>(() => new AdditiveAttention(name: "add").Build(new TensorShape(3), new TensorShape(5, 3))).Message;
        Assert.Contains("AdditiveAttention 'add' expects [query, value] of shapes (None, steps, features) but got [(None, 3), (None, 5, 3)]", rank, StringComparison.Ordinal);
        string masks = Assert.Throws<ArgumentException>(() => new AttentionLayer(useMasks: true, name: "att").Build(new TensorShape(3, 4), new TensorShape(5, 4), new TensorShape(5), new TensorShape(5))).Message;
        Assert.Contains("expects the query mask (None, 3) and the value mask (None, 5) but got (None, 5) and (None, 5)", masks, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_RoundTrips()
    {
        var attention = new AttentionLayer(true, AttentionScoreMode.Concat, 0.2, true, true, true, 5, "att");
        Config config = attention.GetConfig();
        Assert.Equal("concat", config.GetString("score_mode"));
        Assert.Equal(config.ToJson(), AttentionLayer.FromConfig(config).GetConfig().ToJson());
        var additive = new AdditiveAttention(false, 0.1, true, false, false, null, "add");
        Assert.False(additive.GetConfig().Contains("score_mode"));
        Assert.Equal(additive.GetConfig().ToJson(), AdditiveAttention.FromConfig(additive.GetConfig()).GetConfig().ToJson());
        Config bad = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "a", "score_mode": "cosine"}""").RootElement, "test", "config");
        Assert.Throws<InvalidDataException>(() => AttentionLayer.FromConfig(bad));
    }

    [Fact]
    public void SaveLoad_InAFunctionalModel_RoundTripsBitForBit()
    {
        using var dir = new TempDirectory();
        string path = dir.File("attention.safetensors");
        var query = new Input(new TensorShape(4, 3), "query");
        var value = new Input(new TensorShape(5, 3), "value");
        var valueMask = new Input(new TensorShape(5), "value_mask");
        var queryMask = new Input(new TensorShape(4), "query_mask");
        SymbolicTensor dot = new AttentionLayer(true, dropout: 0.2, useMasks: true, name: "dot").Call(query, value, queryMask, valueMask);
        SymbolicTensor additive = new AdditiveAttention(dropout: 0.2, name: "additive").Call(query, value);
        SymbolicTensor concat = new AttentionLayer(true, AttentionScoreMode.Concat, useCausalMask: true, name: "concat").Call(query, value, value);
        SymbolicTensor joined = new Concatenate(name: "joined").Call(dot, additive, concat);
        SymbolicTensor output = new Dense(2, name: "head").Call(new GlobalAveragePooling1D(name: "pool").Call(joined));
        var model = new Functional([query, value, queryMask, valueMask], [output], seed: 3);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor[] x = [TestData.Normal(1, 1f, 12, 4, 3), TestData.Normal(2, 1f, 12, 5, 3), Tensor.Ones(12, 4), Tensor.Ones(12, 5)];
        x[3][0, 1] = 0f;
        x[2][1, 2] = 0f;
        Tensor y = TestData.Normal(3, 1f, 12, 2);
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        model.Save(path);

        Model loaded = Model.Load(path);
        Assert.Equal(Bits(model.Predict(x)), Bits(loaded.Predict(x)));
        History continued = model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        History resumed = loaded.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        Assert.Equal(continued["loss"], resumed["loss"]);
        for (int i = 0; i < model.Parameters.Count; i++)
        {
            Assert.Equal(Bits(model.Parameters[i].Value), Bits(loaded.Parameters[i].Value));
        }
    }

    [Fact]
    public void TrainingStep_AfterWarmUp_AllocatesNothing()
    {
        var layers = new[] { "dot_masks", "concat_masks_causal", "additive_masks_causal" }.Select(n => (Case: Get(n), Setup: Setup(Get(n), batch: 3, dropout: 0.3))).ToArray();
        var upstreams = layers.Select(l => TestData.Normal(4, 1f, 3, l.Case.Tq, l.Case.Dv)).ToArray();
        var slots = layers.Select(l => new Tensor?[l.Setup.Inputs.Length]).ToArray();

        void Step()
        {
            for (int i = 0; i < layers.Length; i++)
            {
                layers[i].Setup.Layer.Forward(layers[i].Setup.Inputs, training: true);
                layers[i].Setup.Layer.Backward(upstreams[i], slots[i]);
            }
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }
}
