using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Attention;

/// <summary>GroupedQueryAttention against Keras' formula (key/value heads repeated for their groups), numerical gradients and configs.</summary>
public class GroupedQueryAttentionTests
{
    public static TheoryData<string> Cases => ["multi_query", "two_groups", "as_many_as_queries", "with_key_causal", "mask_no_bias", "gated_two_groups", "gated_mask_no_bias"];

    // Gate: Keras 3.15's use_gate, one gate per query head.
    private sealed record Case(int HeadDim, int QueryHeads, int KvHeads, bool UseBias, bool HasKey, bool Causal, int[]? Mask, int Tq = 4, int Tv = 5, int Dq = 6, int Dv = 5, int Dk = 3, bool Gate = false);

    private static Case Get(string name) => name switch
    {
        "multi_query" => new(3, 4, 1, true, false, false, null),
        "two_groups" => new(2, 4, 2, true, false, false, null),
        "as_many_as_queries" => new(2, 3, 3, true, false, false, null),
        "with_key_causal" => new(3, 6, 2, true, true, true, null, Tq: 5, Tv: 5),
        "gated_two_groups" => new(2, 4, 2, true, true, false, null, Gate: true),
        "gated_mask_no_bias" => new(3, 4, 1, false, false, true, [4, 5, 5], Tq: 5, Tv: 5, Gate: true),
        _ => new(2, 4, 2, false, false, false, [4, 4, 5]),
    };

    private static (GroupedQueryAttention Layer, Tensor[] Inputs) Setup(Case c, double dropout = 0.0)
    {
        var layer = new GroupedQueryAttention(c.HeadDim, c.QueryHeads, c.KvHeads, dropout, c.UseBias, biasInitializer: new RandomNormal(0, 0.3, 5),
            useCausalMask: c.Causal, useAttentionMask: c.Mask is not null, seed: 7) { Seed = 9, UseGate = c.Gate };
        var inputs = new List<Tensor> { TestData.Normal(1, 1f, 2, c.Tq, c.Dq), TestData.Normal(2, 1f, 2, c.Tv, c.Dv) };
        if (c.HasKey)
        {
            inputs.Add(TestData.Normal(3, 1f, 2, c.Tv, c.Dk));
        }

        if (c.Mask is int[] mask)
        {
            inputs.Add(Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape([2, .. mask]), 4).ToArray().Select(v => v < 0.25f ? 0f : 1f)], [2, .. mask]));
        }

        Tensor[] array = [.. inputs];
        layer.Build([.. array.Select(t => t.Shape.DropFirst())]);
        return (layer, array);
    }

    // Keras repeats each key/value head for its group (ops.repeat(key, num_repeats, axis=2)): the MultiHeadAttention whose
    // key and value projections are the grouped ones repeated computes what GroupedQueryAttention must.
    private static MultiHeadAttention Repeated(GroupedQueryAttention gqa, Case c)
    {
        var mha = new MultiHeadAttention(c.QueryHeads, c.HeadDim, useBias: c.UseBias, useCausalMask: c.Causal, useAttentionMask: c.Mask is not null) { UseGate = c.Gate };
        mha.Build([.. gqa.InputShapes.ToArray()]);
        gqa.QueryKernel.Value.AsReadOnlySpan().CopyTo(mha.QueryKernel.Value.AsSpan());
        gqa.GateKernel?.Value.AsReadOnlySpan().CopyTo(mha.GateKernel!.Value.AsSpan());
        gqa.GateBias?.Value.AsReadOnlySpan().CopyTo(mha.GateBias!.Value.AsSpan());
        gqa.OutputKernel.Value.AsReadOnlySpan().CopyTo(mha.OutputKernel.Value.AsSpan());
        RepeatHeads(gqa.KeyKernel, mha.KeyKernel, c);
        RepeatHeads(gqa.ValueKernel, mha.ValueKernel, c);
        if (c.UseBias)
        {
            gqa.QueryBias!.Value.AsReadOnlySpan().CopyTo(mha.QueryBias!.Value.AsSpan());
            gqa.OutputBias!.Value.AsReadOnlySpan().CopyTo(mha.OutputBias!.Value.AsSpan());
            RepeatHeads(gqa.KeyBias!, mha.KeyBias!, c);
            RepeatHeads(gqa.ValueBias!, mha.ValueBias!, c);
        }

        return mha;
    }

    // grouped (..., kvHeads, headDim) -> repeated (..., heads, headDim): head h is the grouped head h / (heads / kvHeads).
    private static void RepeatHeads(Parameter grouped, Parameter repeated, Case c)
    {
        int group = c.QueryHeads / c.KvHeads, rows = grouped.Value.Length / (c.KvHeads * c.HeadDim);
        ReadOnlySpan<float> from = grouped.Value.AsReadOnlySpan();
        Span<float> to = repeated.Value.AsSpan();
        for (int r = 0; r < rows; r++)
        {
            for (int h = 0; h < c.QueryHeads; h++)
            {
                from.Slice(((r * c.KvHeads) + (h / group)) * c.HeadDim, c.HeadDim).CopyTo(to.Slice(((r * c.QueryHeads) + h) * c.HeadDim, c.HeadDim));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_IsKerasRepeatedKeyValueHeads_AndKerasFormulaInFloat64(string name)
    {
        Case c = Get(name);
        (GroupedQueryAttention layer, Tensor[] inputs) = Setup(c);
        float[] y = layer.Forward(inputs, training: false).ToArray();
        float[] scores = layer.LastAttentionScores.ToArray();
        MultiHeadAttention mha = Repeated(layer, c);

        Assert.Equal(mha.Forward(inputs, training: false).ToArray(), y);
        Assert.Equal(mha.LastAttentionScores.ToArray(), scores);
        Assert.Equal([2, c.QueryHeads, c.Tq, c.Tv], layer.LastAttentionScores.Shape.Dimensions.ToArray());
        (double[] output, _) = MultiHeadAttentionTests.Reference(mha, inputs[0], inputs[1], c.HasKey ? inputs[2] : null, c.Mask is null ? null : inputs[^1]);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - output[i]) <= 1e-5 + (1e-5 * Math.Abs(output[i])), $"{name}: output {i} is {y[i]}, Keras' formula gives {output[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesNumericalGradients(string name)
    {
        Case c = Get(name);
        (GroupedQueryAttention layer, Tensor[] inputs) = Setup(c);
        int[] sequences = [.. Enumerable.Range(0, c.HasKey ? 3 : 2)];
        StochasticGradientCheck.Check(layer, inputs, sequences, seed: 3, training: false).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_WithDropout_MatchesNumericalGradientsForTheSameMask()
    {
        Case c = Get("with_key_causal");
        (GroupedQueryAttention layer, Tensor[] inputs) = Setup(c, dropout: 0.3);
        StochasticGradientCheck.Check(layer, inputs, [0, 1, 2], seed: 4, training: true).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Weights_HaveKerasNamesAndShapes()
    {
        var layer = new GroupedQueryAttention(headDim: 2, numQueryHeads: 4, numKeyValueHeads: 2);
        layer.Build(new TensorShape(8, 16), new TensorShape(4, 12));
        Assert.Equal(
            ["query/kernel (16, 4, 2)", "query/bias (4, 2)", "key/kernel (12, 2, 2)", "key/bias (2, 2)", "value/kernel (12, 2, 2)", "value/bias (2, 2)", "attention_output/kernel (4, 2, 16)", "attention_output/bias (16,)"],
            layer.Parameters.Select(p => p.ToString()));
        Assert.Equal([8, 16], layer.OutputShape.Dimensions.ToArray());
        Assert.Equal((2, 4, 2), (layer.HeadDim, layer.NumQueryHeads, layer.NumKeyValueHeads));
        Assert.Equal("grouped_query_attention", layer.DefaultNamePrefix);
        var noBias = new GroupedQueryAttention(2, 4, 1, useBias: false);
        noBias.Build(new TensorShape(8, 16), new TensorShape(4, 16));
        Assert.Equal(4, noBias.Parameters.Count);

        // Keras 3.15's use_gate: EinsumDense "bqm,muh->bquh" of the query (query heads, headDim), built between key and value.
        var gated = new GroupedQueryAttention(headDim: 2, numQueryHeads: 4, numKeyValueHeads: 2) { UseGate = true };
        gated.Build(new TensorShape(8, 16), new TensorShape(4, 12));
        Assert.Equal(
            ["query/kernel (16, 4, 2)", "query/bias (4, 2)", "key/kernel (12, 2, 2)", "key/bias (2, 2)", "gate/kernel (16, 4, 2)", "gate/bias (4, 2)", "value/kernel (12, 2, 2)", "value/bias (2, 2)", "attention_output/kernel (4, 2, 16)", "attention_output/bias (16,)"],
            gated.Parameters.Select(p => p.ToString()));
    }

    [Fact]
    public void BadArguments_AreNamed()
    {
        Assert.Contains("numQueryHeads=4 and numKeyValueHeads=3", Assert.Throws<ArgumentException>(() => new GroupedQueryAttention(2, 4, 3)).Message);
        Assert.Contains("headDim=0", Assert.Throws<ArgumentOutOfRangeException>(() => new GroupedQueryAttention(0, 4, 2)).Message);
        Assert.Contains("numQueryHeads=0", Assert.Throws<ArgumentOutOfRangeException>(() => new GroupedQueryAttention(2, 0, 2)).Message);
        Assert.Contains("numKeyValueHeads=0", Assert.Throws<ArgumentOutOfRangeException>(() => new GroupedQueryAttention(2, 4, 0)).Message);
        Assert.Contains("GroupedQueryAttention expects a dropout rate in [0, 1) but got dropout=1", Assert.Throws<ArgumentOutOfRangeException>(() => new GroupedQueryAttention(2, 4, 2, dropout: 1.0)).Message);
        Assert.Equal("numKeyValueHeads", Assert.Throws<ArgumentException>(() => new GroupedQueryAttention(2, 4, 3)).ParamName);
        Assert.Equal("numQueryHeads", Assert.Throws<ArgumentOutOfRangeException>(() => new GroupedQueryAttention(2, 0, 2)).ParamName);
        string rank = Assert.Throws<ArgumentException>(() => new GroupedQueryAttention(2, 4, 2, name: "gqa").Build(new TensorShape(8), new TensorShape(4, 8))).Message;
        Assert.Contains("GroupedQueryAttention 'gqa' expects query (None, steps, features)", rank);
    }

    [Fact]
    public void Config_HasKerasKeysAndRoundTrips()
    {
        var layer = new GroupedQueryAttention(4, 6, 3, 0.1, false, useCausalMask: true, seed: 5, name: "gqa");
        Config config = layer.GetConfig();
        Assert.Equal((4, 6, 3), (config.GetInt32("head_dim"), config.GetInt32("num_query_heads"), config.GetInt32("num_key_value_heads")));
        Assert.False(config.Contains("num_heads"));
        Assert.False(config.Contains("output_shape"));
        var back = Assert.IsType<GroupedQueryAttention>(SerializationRegistry.Deserialize<Layer>(SerializationRegistry.Serialize(layer), new Config(), "layer"));
        Assert.Equal(config.ToJson(), back.GetConfig().ToJson());
        Assert.Equal("GroupedQueryAttention", SerializationRegistry.Serialize(layer)["class_name"]!.GetValue<string>());

        // Keras also exports the layer as keras.layers.GroupQueryAttention.
        var json = System.Text.Json.Nodes.JsonNode.Parse("""{"class_name": "GroupQueryAttention", "config": {"name": "g", "head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 1}}""")!;
        var read = Assert.IsType<GroupedQueryAttention>(SerializationRegistry.Deserialize<Layer>(json, new Config(), "layer"));
        Assert.Equal((2, 4, 1, 0.0, true), (read.HeadDim, read.NumQueryHeads, read.NumKeyValueHeads, read.Dropout, read.UseBias));
        Assert.False(read.UseGate);

        // use_gate and flash_attention round trip.
        var gated = new GroupedQueryAttention(2, 4, 2, name: "g") { UseGate = true, FlashAttention = true };
        Config gatedConfig = gated.GetConfig();
        Assert.True(gatedConfig.GetBoolean("use_gate"));
        Assert.True(gatedConfig.GetBoolean("flash_attention"));
        var gatedBack = Assert.IsType<GroupedQueryAttention>(SerializationRegistry.Deserialize<Layer>(SerializationRegistry.Serialize(gated), new Config(), "layer"));
        Assert.Equal((true, (bool?)true), (gatedBack.UseGate, gatedBack.FlashAttention));
        Assert.Equal(gatedConfig.ToJson(), gatedBack.GetConfig().ToJson());
    }

    [Fact]
    public void Model_TrainsSavesAndReloadsBitForBit()
    {
        var input = new Input(6, 8);
        SymbolicTensor attended = new GroupedQueryAttention(4, 4, 2, useCausalMask: true).Call(input, input);
        SymbolicTensor output = new Dense(1).Call(new GlobalAveragePooling1D().Call(attended));
        var model = new Functional(input, output, seed: 3);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor x = TestData.Normal(8, 1f, 32, 6, 8), y = TestData.Normal(9, 1f, 32, 1);
        History history = model.Fit(x, y, batchSize: 8, epochs: 5, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0], $"loss {history["loss"][0]} -> {history["loss"][^1]}");

        string path = Path.Combine(Path.GetTempPath(), $"gqa-{Guid.NewGuid():N}.nnet");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
