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

/// <summary>MultiHeadAttention over inputs of rank above 3 (Keras' <c>attention_axes</c>).</summary>
public class MultiHeadAttentionAxesTests
{
    private const int Batch = 3, Features = 8;

    // Per-sample query and value axes (features excluded), the per-sample attention mask (null: none), the attention
    // axes (null: Keras' default) and whether a key of other features is given. The first six are Keras'
    // multi_head_attention_test.py test_high_dim_attention cases.
    private sealed record Case(int[] Query, int[] Value, int[]? Mask, int[]? Axes, bool HasKey = false);

    public static TheoryData<string> Cases => ["4d_1freebatch_mask2", "4d_1freebatch_mask3", "4d_1freebatch_mask4", "4d_2d_attention", "5d_2d_attention", "5d_2d_attention_fullmask",
        "4d_default_axes", "4d_first_axis", "4d_reversed_axes", "5d_middle_axis_with_key", "4d_negative_axis"];

    private static Case Get(string name) => name switch
    {
        "4d_1freebatch_mask2" => new([3, 4], [3, 2], [4, 2], [2]),
        "4d_1freebatch_mask3" => new([3, 4], [3, 2], [3, 4, 2], [2]),
        "4d_1freebatch_mask4" => new([3, 4], [3, 2], [3, 2, 4, 2], [2]),
        "4d_2d_attention" => new([3, 4], [3, 2], [3, 4, 3, 2], [1, 2]),
        "5d_2d_attention" => new([5, 3, 4], [5, 3, 2], [3, 4, 3, 2], [2, 3]),
        "5d_2d_attention_fullmask" => new([5, 3, 4], [5, 3, 2], [5, 3, 4, 3, 2], [2, 3]),
        "4d_default_axes" => new([3, 4], [2, 5], null, null),
        "4d_first_axis" => new([3, 4], [2, 4], [4, 3, 2], [1]),
        "4d_reversed_axes" => new([3, 4], [3, 2], [2, 4, 3, 1, 1], [2, 1]),
        "5d_middle_axis_with_key" => new([2, 3, 4], [2, 5, 4], [2, 4, 1, 5], [2], HasKey: true),
        "4d_negative_axis" => new([3, 4], [3, 2], null, [-2]),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown case."),
    };

    private static int[] ResolvedAxes(Case c)
    {
        int rank = c.Query.Length + 2;
        return c.Axes is null ? [.. Enumerable.Range(1, rank - 2)] : [.. c.Axes.Select(a => a < 0 ? a + rank : a)];
    }

    private static (MultiHeadAttention Layer, Tensor[] Inputs) Setup(Case c, double dropout = 0.0, int? output = null)
    {
        var layer = new MultiHeadAttention(2, 2, valueDim: 3, dropout: dropout, outputShape: output, attentionAxes: c.Axes, biasInitializer: new RandomNormal(0, 0.3, 5),
            useAttentionMask: c.Mask is not null, seed: 7, name: "mha") { Seed = 9 };
        var inputs = new List<Tensor> { TestData.Normal(1, 1f, [Batch, .. c.Query, Features]), TestData.Normal(2, 1f, [Batch, .. c.Value, Features]) };
        if (c.HasKey)
        {
            inputs.Add(TestData.Normal(3, 1f, [Batch, .. c.Value, 5]));
        }

        if (c.Mask is int[] mask)
        {
            inputs.Add(RandomMask(4, [Batch, .. mask]));
        }

        Tensor[] array = [.. inputs];
        layer.Build([.. array.Select(t => t.Shape.DropFirst())]);
        return (layer, array);
    }

    private static Tensor RandomMask(long seed, int[] dims)
    {
        Tensor mask = Tensor.RandomUniform(new TensorShape(dims), seed);
        Span<float> m = mask.AsSpan();
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = m[i] < 0.3f ? 0f : 1f;
        }

        return mask;
    }

    // Row-major multi-index of a flat offset.
    private static int[] Unravel(int flat, ReadOnlySpan<int> dims)
    {
        var index = new int[dims.Length];
        for (int a = dims.Length - 1; a >= 0; a--)
        {
            index[a] = flat % dims[a];
            flat /= dims[a];
        }

        return index;
    }

    private static int Ravel(ReadOnlySpan<int> index, ReadOnlySpan<int> dims)
    {
        int flat = 0;
        for (int a = 0; a < dims.Length; a++)
        {
            flat = (flat * dims[a]) + index[a];
        }

        return flat;
    }

    /// <summary>
    /// Keras' einsum semantics spelled out: each batch row and position on the axes outside the attention axes is one
    /// sequence, whose steps are the attention axes' positions in the given order. (B, d..., C) -> (B·G, T, C).
    /// </summary>
    private static Tensor ToSequences(Tensor x, int[] axes)
    {
        int[] dims = x.Shape.Dimensions.ToArray();
        int[] others = [.. Enumerable.Range(1, dims.Length - 2).Where(a => !axes.Contains(a))];
        int groups = others.Aggregate(1, (p, a) => p * dims[a]), steps = axes.Aggregate(1, (p, a) => p * dims[a]), c = dims[^1];
        var y = new Tensor(dims[0] * groups, steps, c);
        for (int flat = 0; flat < x.Length; flat++)
        {
            int[] i = Unravel(flat, dims);
            int g = Ravel([.. others.Select(a => i[a])], [.. others.Select(a => dims[a])]);
            int t = Ravel([.. axes.Select(a => i[a])], [.. axes.Select(a => dims[a])]);
            y[(i[0] * groups) + g, t, i[^1]] = x.AsReadOnlySpan()[flat];
        }

        return y;
    }

    private static double[] FromSequences(double[] y, int[] outputDims, int[] axes)
    {
        int[] others = [.. Enumerable.Range(1, outputDims.Length - 2).Where(a => !axes.Contains(a))];
        int groups = others.Aggregate(1, (p, a) => p * outputDims[a]), steps = axes.Aggregate(1, (p, a) => p * outputDims[a]), c = outputDims[^1];
        var x = new double[y.Length];
        for (int flat = 0; flat < x.Length; flat++)
        {
            int[] i = Unravel(flat, outputDims);
            int g = Ravel([.. others.Select(a => i[a])], [.. others.Select(a => outputDims[a])]);
            int t = Ravel([.. axes.Select(a => i[a])], [.. axes.Select(a => outputDims[a])]);
            x[flat] = y[(((((i[0] * groups) + g) * steps) + t) * c) + i[^1]];
        }

        return x;
    }

    // Keras' _masked_softmax: the mask gets axes of 1 inserted before its last 2·|axes| axes until it has the scores'
    // rank (batch, others..., heads, query axes..., key axes...), then broadcasts; written out as (B·G, heads, Tq, Tv).
    private static Tensor FullMask(Tensor mask, int batch, int[] others, int heads, int[] queryAxes, int[] keyAxes)
    {
        int[] scoreDims = [batch, .. others, heads, .. queryAxes, .. keyAxes];
        int[] dims = mask.Shape.Dimensions.ToArray();
        var expanded = dims.ToList();
        while (expanded.Count < scoreDims.Length)
        {
            expanded.Insert(expanded.Count - (2 * queryAxes.Length), 1);
        }

        int groups = others.Aggregate(1, (p, d) => p * d), tq = queryAxes.Aggregate(1, (p, d) => p * d), tv = keyAxes.Aggregate(1, (p, d) => p * d);
        var full = new Tensor(batch * groups, heads, tq, tv);
        int count = scoreDims.Aggregate(1, (p, d) => p * d);
        for (int flat = 0; flat < count; flat++)
        {
            int[] i = Unravel(flat, scoreDims);
            int[] source = [.. i.Select((v, a) => expanded[a] == 1 ? 0 : v)];
            full.AsSpan()[flat] = mask.AsReadOnlySpan()[Ravel(source, [.. expanded])];
        }

        return full;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesKerasEinsumSemanticsInFloat64(string name)
    {
        Case c = Get(name);
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(c, output: 6);
        int[] axes = ResolvedAxes(c);
        float[] y = layer.Forward(inputs, training: false).ToArray();

        // The rank-3 layer with the same weights, on the sequences Keras' einsum forms.
        var twin = new MultiHeadAttention(2, 2, valueDim: 3, outputShape: 6, useAttentionMask: c.Mask is not null);
        Tensor query = ToSequences(inputs[0], axes), value = ToSequences(inputs[1], axes);
        Tensor? key = c.HasKey ? ToSequences(inputs[2], axes) : null;
        int[] others = [.. Enumerable.Range(1, c.Query.Length).Where(a => !axes.Contains(a)).Select(a => c.Query[a - 1])];
        Tensor? mask = c.Mask is null ? null : FullMask(inputs[^1], Batch, others, 2, [.. axes.Select(a => c.Query[a - 1])], [.. axes.Select(a => c.Value[a - 1])]);
        twin.Build(key is null
            ? (mask is null ? [query.Shape.DropFirst(), value.Shape.DropFirst()] : [query.Shape.DropFirst(), value.Shape.DropFirst(), mask.Shape.DropFirst()])
            : (mask is null ? [query.Shape.DropFirst(), value.Shape.DropFirst(), key.Shape.DropFirst()] : [query.Shape.DropFirst(), value.Shape.DropFirst(), key.Shape.DropFirst(), mask.Shape.DropFirst()]));
        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            layer.Parameters[i].Value.AsReadOnlySpan().CopyTo(twin.Parameters[i].Value.AsSpan());
        }

        // Keras takes its explicit path for every query of rank above 3 (the fused one takes rank-4 projections only).
        (double[] sequenceOutput, double[] scores) = MultiHeadAttentionTests.Reference(twin, query, value, key, mask, explicitPath: true);
        double[] expected = FromSequences(sequenceOutput, [Batch, .. c.Query, 6], axes);
        Assert.Equal([Batch, .. c.Query, 6], layer.OutputShape.Prepend(Batch).Dimensions.ToArray());
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-5 + (1e-5 * Math.Abs(expected[i])), $"{name}: output {i} is {y[i]}, Keras' einsum gives {expected[i]}");
        }

        // Keras' score layout (batch, others..., heads, query axes..., key axes...) is the sequences' (B·G, heads, Tq, Tv).
        Tensor last = layer.LastAttentionScores;
        Assert.Equal([Batch, .. others, 2, .. axes.Select(a => c.Query[a - 1]), .. axes.Select(a => c.Value[a - 1])], last.Shape.Dimensions.ToArray());
        float[] actualScores = last.ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.True(Math.Abs(actualScores[i] - scores[i]) <= 1e-6, $"{name}: score {i} is {actualScores[i]}, Keras' einsum gives {scores[i]}");
        }
    }

    [Theory]
    [InlineData("4d_1freebatch_mask3")]
    [InlineData("5d_2d_attention_fullmask")]
    [InlineData("4d_first_axis")]
    [InlineData("4d_reversed_axes")]
    [InlineData("5d_middle_axis_with_key")]
    public void Backward_MatchesNumericalGradients(string name)
    {
        Case c = Get(name);
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(c);
        StochasticGradientCheck.Check(layer, inputs, [.. Enumerable.Range(0, c.HasKey ? 3 : 2)], seed: 3, training: false).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_WithDropout_MatchesNumericalGradientsForTheSameMask()
    {
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(Get("4d_first_axis"), dropout: 0.4);
        StochasticGradientCheck.Check(layer, inputs, [0, 1], seed: 4, training: true).AssertPassed(maxKinkFraction: 0);
    }

    // keras/src/layers/attention/multi_head_attention_test.py, test_attention_axes_negative_indexing.
    [Fact]
    public void NegativeAxis_IsThePositiveOne()
    {
        (MultiHeadAttention negative, Tensor[] inputs) = Setup(Get("4d_negative_axis"));
        (MultiHeadAttention positive, _) = Setup(Get("4d_negative_axis") with { Axes = [2] });
        Assert.Equal(Bits(positive.Forward(inputs, false)), Bits(negative.Forward(inputs, false)));
        Assert.Equal(Bits(positive.LastAttentionScores), Bits(negative.LastAttentionScores));
    }

    [Fact]
    public void TrailingAxes_AreTheRank3LayerOnTheFlattenedSequence_BitForBit()
    {
        // Attention over (1, 2) of (B, 3, 4, C) is attention over the 12 positions of (B, 12, C): nothing is copied.
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(Get("4d_default_axes"));
        var flat = new MultiHeadAttention(2, 2, valueDim: 3);
        flat.Build(new TensorShape(12, Features), new TensorShape(10, Features));
        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            layer.Parameters[i].Value.AsReadOnlySpan().CopyTo(flat.Parameters[i].Value.AsSpan());
        }

        Tensor y = flat.Forward([inputs[0].Reshape(Batch, 12, Features), inputs[1].Reshape(Batch, 10, Features)], false);
        Assert.Equal(Bits(y), Bits(layer.Forward(inputs, false)));
    }

    [Fact]
    public void BadInput_ThrowsNamingTheLayerShapesAndAxes()
    {
        Assert.Contains("attentionAxes", Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 2, attentionAxes: [0])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 2, attentionAxes: []));
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 2, attentionAxes: [1, 1]));

        // The features axis, or an axis the input does not have.
        var features = new MultiHeadAttention(2, 2, attentionAxes: [3], name: "mha");
        string message = Assert.Throws<ArgumentException>(() => features.Build(new TensorShape(3, 4, 8), new TensorShape(3, 2, 8))).Message;
        Assert.Contains("MultiHeadAttention 'mha': attention_axes (3) does not fit the query (None, 3, 4, 8): each axis must be one of 1..2 (or -3..-2)", message, StringComparison.Ordinal);
        Assert.False(features.IsBuilt);
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 2, attentionAxes: [-4]).Build(new TensorShape(3, 4, 8), new TensorShape(3, 2, 8)));

        // The query and the value must agree outside the attention axes, and have one rank.
        string other = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 2, attentionAxes: [2], name: "mha").Build(new TensorShape(3, 4, 8), new TensorShape(2, 4, 8))).Message;
        Assert.Contains("the query (None, 3, 4, 8) and the value (None, 2, 4, 8) must agree on every axis outside attention_axes (2), but axis 1 is 3 and 2", other, StringComparison.Ordinal);
        string rank = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 2, name: "mha").Build(new TensorShape(3, 4, 8), new TensorShape(4, 8))).Message;
        Assert.Contains("MultiHeadAttention 'mha' expects a query and a value of one rank", rank, StringComparison.Ordinal);

        // Keras' high-dim key/value mismatch (test_shape_mismatch_error).
        string key = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(4, 2, name: "mha").Build(new TensorShape(4, 2, 3, 8), new TensorShape(1, 1, 5, 8), new TensorShape(1, 15, 5, 2))).Message;
        Assert.Contains("all dimensions of value and key but the last must be equal", key, StringComparison.Ordinal);

        // A mask that does not broadcast to the scores, a causal mask and grouped-query attention of rank 4.
        string mask = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 2, attentionAxes: [2], useAttentionMask: true, name: "mha").Build(new TensorShape(3, 4, 8), new TensorShape(3, 2, 8), new TensorShape(3, 4, 3))).Message;
        Assert.Contains("the attention mask (None, 3, 4, 3) does not broadcast to (batch, other axes..., heads, query axes..., key axes...) = (None, 3, 2, 4, 2)", mask, StringComparison.Ordinal);
        string causal = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 2, useCausalMask: true, name: "mha").Build(new TensorShape(3, 4, 8), new TensorShape(3, 4, 8))).Message;
        Assert.Contains("the causal mask needs (None, steps, features) inputs", causal, StringComparison.Ordinal);
        Assert.Contains("expects query (None, steps, features)", Assert.Throws<ArgumentException>(() => new GroupedQueryAttention(4, 2, 2).Build(new TensorShape(3, 4, 8), new TensorShape(3, 4, 8))).Message, StringComparison.Ordinal);

        // A Keras mask on a rank-4 query is refused, not misread.
        var image = new Input(new TensorShape(3, 4, 8), "image");
        SymbolicTensor masked = new Masking().Call(image);
        var model = new Functional(image, new MultiHeadAttention(2, 2, name: "mha").Call(masked, masked));
        string keras = Assert.Throws<NotSupportedException>(() => model.Predict(TestData.Normal(1, 1f, 2, 3, 4, 8))).Message;
        Assert.Contains("MultiHeadAttention 'mha' got a Keras mask with a query of rank 4", keras, StringComparison.Ordinal);
    }

    [Fact]
    public void FullyMaskedRows_AreZeroAtHigherRank_AsOnKerasExplicitPath()
    {
        // Query position (0, 0) of the first sample may attend to nothing: its probabilities are 0 and its output the bias.
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(Get("4d_1freebatch_mask3"));
        Span<float> mask = inputs[^1].AsSpan();
        mask[..2].Clear();
        float[] y = layer.Forward(inputs, false).ToArray();
        Assert.All(layer.LastAttentionScores.ToArray()[..2], p => Assert.Equal(0f, p));
        Assert.Equal(layer.OutputBias!.Value.ToArray(), y[..Features]);
        Assert.Contains(y[Features..(2 * Features)], v => v != layer.OutputBias.Value[0]);
    }

    [Fact]
    public void Config_RoundTripsTheAxesAndReadsKerasForms()
    {
        var layer = new MultiHeadAttention(2, 3, attentionAxes: [2, 1], name: "mha");
        Config config = layer.GetConfig();
        Assert.Equal("[2,1]", config.GetNode("attention_axes")!.ToJsonString());
        Assert.Equal([2, 1], MultiHeadAttention.FromConfig(config).AttentionAxes);
        Assert.Equal(config.ToJson(), MultiHeadAttention.FromConfig(config).GetConfig().ToJson());

        // Built, the config holds the resolved axes as Keras' get_config does after _build_attention.
        var negative = new MultiHeadAttention(2, 3, attentionAxes: [-2]);
        negative.Build(new TensorShape(3, 4, 8), new TensorShape(3, 2, 8));
        Assert.Equal("[2]", negative.GetConfig().GetNode("attention_axes")!.ToJsonString());
        var byDefault = new MultiHeadAttention(2, 3);
        byDefault.Build(new TensorShape(3, 4, 8), new TensorShape(3, 2, 8));
        Assert.Equal("[1,2]", byDefault.GetConfig().GetNode("attention_axes")!.ToJsonString());

        // Keras writes an int, a list or null (and after building, the resolved list: [1] for rank-3 inputs).
        Config keras = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "m", "num_heads": 2, "key_dim": 3, "attention_axes": 2}""").RootElement, "test", "config");
        Assert.Equal([2], MultiHeadAttention.FromConfig(keras).AttentionAxes);
        Config none = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "m", "num_heads": 2, "key_dim": 3, "attention_axes": null}""").RootElement, "test", "config");
        Assert.Null(MultiHeadAttention.FromConfig(none).AttentionAxes);
        Config batch = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "m", "num_heads": 2, "key_dim": 3, "attention_axes": [0, 1]}""").RootElement, "test", "config");
        Assert.Throws<InvalidDataException>(() => MultiHeadAttention.FromConfig(batch));
    }

    /// <summary>Self-attention among the pixels of a feature map, then pooling and a dense head.</summary>
    private static Functional PixelAttention(long seed, int[]? axes)
    {
        var image = new Input(new TensorShape(3, 4, 5), "image");
        SymbolicTensor attended = new MultiHeadAttention(2, 4, dropout: 0.2, attentionAxes: axes, name: "mha").Call(image, image);
        SymbolicTensor sum = new Add(name: "residual").Call(image, attended);
        SymbolicTensor pooled = new GlobalAveragePooling2D(name: "pool").Call(sum);
        return new Functional(image, new Dense(2, name: "head").Call(pooled), name: "pixels", seed: seed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(new[] { 1 })]
    public void SaveLoad_InAFunctionalModel_RoundTripsBitForBit(int[]? axes)
    {
        using var dir = new TempDirectory();
        string path = dir.File("pixels.safetensors");
        Functional model = PixelAttention(5, axes);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor x = TestData.Normal(21, 1f, 8, 3, 4, 5), y = TestData.Normal(22, 1f, 8, 2);
        History history = model.Fit(x, y, epochs: 3, batchSize: 4, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0], "the loss falls");
        model.Save(path);

        var loaded = (Functional)Model.Load(path);
        // The saved config holds the resolved axes, as Keras writes them once built.
        Assert.Equal(axes ?? [1, 2], ((MultiHeadAttention)loaded.Layers.Single(l => l.Name == "mha")).AttentionAxes);
        Assert.Equal(Bits(model.Predict(x)), Bits(loaded.Predict(x)));
    }

    [Fact]
    public void TrainingStep_WithArrangedAxes_AfterWarmUp_AllocatesNothing()
    {
        (MultiHeadAttention layer, Tensor[] inputs) = Setup(Get("5d_middle_axis_with_key"), dropout: 0.3);
        Tensor upstream = TestData.Normal(8, 1f, [Batch, 2, 3, 4, Features]);
        var slots = new Tensor?[4];

        void Step()
        {
            layer.Forward(inputs, training: true);
            layer.Backward(upstream, slots);
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }
}
