using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.GradientChecking;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;
using AttentionLayer = NeuralNet.Layers.Attention;

namespace NeuralNet.Tests.Layers.Attention;

/// <summary>
/// Masks that arrive with the attention layers' inputs (Keras' <c>_keras_mask</c>, here from
/// <c>Embedding(maskZero: true)</c>): used as Keras uses them, equal to the same masks given as inputs, passed on as the
/// output's mask, and differentiated.
/// </summary>
public class PropagatedMaskTests
{
    // The ids of keras/src/layers/attention/multi_head_attention_test.py, test_masking and test_query_mask_propagation.
    private static readonly float[] QueryIds = [1, 2, 3, 0, 0, /**/ 3, 3, 1, 1, 2, /**/ 1, 0, 0, 0, 0];
    private static readonly float[] ValueIds = [5, 4, 0, /**/ 3, 0, 0, /**/ 2, 1, 1];
    private static readonly float[] KeyIds = [1, 0, 2, /**/ 0, 1, 1, /**/ 2, 2, 0];

    private static Tensor Ids(float[] ids, int steps) => Tensor.FromArray(ids, ids.Length / steps, steps);

    private static Tensor NonZero(float[] ids, int steps) => Tensor.FromArray([.. ids.Select(id => id == 0 ? 0f : 1f)], ids.Length / steps, steps);

    private static Tensor Mask(int batch, int steps, params (int Sample, int Step)[] masked)
    {
        Tensor mask = Tensor.Ones(batch, steps);
        foreach ((int b, int s) in masked)
        {
            mask[b, s] = 0f;
        }

        return mask;
    }

    // Runs both models once (parameters start on the first pass), gives the second the first's weights, and returns
    // both outputs of a second pass.
    private static (float[] Propagated, float[] Explicit) RunWithSharedWeights(Functional propagated, Tensor[] x, Functional explicitModel, Tensor[] xExplicit)
    {
        propagated.Forward(x, training: false);
        explicitModel.Forward(xExplicit, training: false);
        Assert.Equal(propagated.Parameters.Count, explicitModel.Parameters.Count);
        for (int i = 0; i < propagated.Parameters.Count; i++)
        {
            propagated.Parameters[i].Value.AsReadOnlySpan().CopyTo(explicitModel.Parameters[i].Value.AsSpan());
        }

        return (propagated.Forward(x, training: false)[0].ToArray(), explicitModel.Forward(xExplicit, training: false)[0].ToArray());
    }

    // test_masking: Embedding(mask_zero) -> MultiHeadAttention equals the same call with Keras' hand-written mask and
    // the inputs' masks removed; test_query_mask_propagation: the output carries the query's mask.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MultiHeadAttention_EmbeddingMasks_EqualKerasHandWrittenAttentionMask(bool causal)
    {
        Functional Build(bool propagated)
        {
            var query = new Input(new TensorShape(5), "query");
            var value = new Input(new TensorShape(3), "value");
            SymbolicTensor q = new Embedding(4, 8, maskZero: propagated).Call(query);
            SymbolicTensor v = new Embedding(6, 8, maskZero: propagated).Call(value);
            if (propagated)
            {
                return new Functional([query, value], [new MultiHeadAttention(2, 2, useCausalMask: causal, name: "mha").Call(q, v)], seed: 3);
            }

            var mask = new Input(new TensorShape(5, 3), "mask");
            return new Functional([query, value, mask], [new MultiHeadAttention(2, 2, useAttentionMask: true, name: "mha").Call(q, v, mask)], seed: 3);
        }

        float[][] rows =
        [
            [1, 1, 0], [1, 1, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0],
            [1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0],
            [1, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0],
        ];
        float[][] lower = [[1, 0, 0], [1, 1, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1]];
        float[] handWritten = [.. rows.SelectMany((row, r) => row.Select((m, s) => causal ? m * lower[r % 5][s] : m))];
        Tensor queryIds = Ids(QueryIds, 5), valueIds = Ids(ValueIds, 3);
        Functional withMasks = Build(propagated: true), withAttentionMask = Build(propagated: false);

        (float[] y, float[] expected) = RunWithSharedWeights(withMasks, [queryIds, valueIds], withAttentionMask, [queryIds, valueIds, Tensor.FromArray(handWritten, 3, 5, 3)]);

        Assert.Equal(Bits(Tensor.FromArray(expected, expected.Length)), Bits(Tensor.FromArray(y, y.Length)));
        withMasks.Forward(new[] { queryIds, valueIds }, training: false);
        Layer mha = withMasks.Layers.Single(l => l.Name == "mha");
        Assert.True(mha.SupportsMasking);
        Assert.Equal(NonZero(QueryIds, 5).ToArray(), mha.OutputMask!.ToArray());

        // A masked query step attends to no key: its row is uniform, as Keras' fused attention gives (see attention.md).
        float[] scores = ((MultiHeadAttention)mha).LastAttentionScores.ToArray();
        Assert.Equal([1f / 3, 1f / 3, 1f / 3], scores.AsSpan(3 * 3, 3).ToArray(), new Tolerance(1e-7f));
    }

    // Keras fills mask=[query_mask, value_mask] (and never reads the key's mask); compute_mask returns the query mask.
    [Theory]
    [InlineData("dot")]
    [InlineData("concat")]
    [InlineData("additive")]
    public void ScoreAttention_EmbeddingMasks_EqualTheMaskInputs_AndIgnoreTheKeyMask(string kind)
    {
        Layer Make(bool useMasks) => kind == "additive"
            ? new AdditiveAttention(useMasks: useMasks, name: "att")
            : new AttentionLayer(useScale: true, scoreMode: kind == "dot" ? AttentionScoreMode.Dot : AttentionScoreMode.Concat, useMasks: useMasks, name: "att");

        Functional Build(bool propagated)
        {
            var query = new Input(new TensorShape(5), "query");
            var value = new Input(new TensorShape(3), "value");
            var key = new Input(new TensorShape(3), "key");
            SymbolicTensor q = new Embedding(4, 4, maskZero: propagated).Call(query);
            SymbolicTensor v = new Embedding(6, 4, maskZero: propagated).Call(value);
            SymbolicTensor k = new Embedding(3, 4, maskZero: propagated).Call(key);
            if (propagated)
            {
                return new Functional([query, value, key], [Make(false).Call(q, v, k)], seed: 4);
            }

            var queryMask = new Input(new TensorShape(5), "query_mask");
            var valueMask = new Input(new TensorShape(3), "value_mask");
            return new Functional([query, value, key, queryMask, valueMask], [Make(true).Call(q, v, k, queryMask, valueMask)], seed: 4);
        }

        Tensor queryIds = Ids(QueryIds, 5), valueIds = Ids(ValueIds, 3), keyIds = Ids(KeyIds, 3);
        Functional withMasks = Build(propagated: true), withInputs = Build(propagated: false);

        (float[] y, float[] expected) = RunWithSharedWeights(withMasks, [queryIds, valueIds, keyIds], withInputs,
            [queryIds, valueIds, keyIds, NonZero(QueryIds, 5), NonZero(ValueIds, 3)]);

        Assert.Equal(Bits(Tensor.FromArray(expected, expected.Length)), Bits(Tensor.FromArray(y, y.Length)));
        Assert.Contains(y, v => v != 0f);
        withMasks.Forward(new[] { queryIds, valueIds, keyIds }, training: false);
        Layer layer = withMasks.Layers.Single(l => l.Name == "att");
        Assert.True(layer.SupportsMasking);
        Assert.Equal(NonZero(QueryIds, 5).ToArray(), layer.OutputMask!.ToArray());
    }

    // attention_test.py test_attention_with_mask, with the masks arriving with the inputs instead of as mask=[...].
    [Theory]
    [InlineData("dot")]
    [InlineData("additive")]
    public void ScoreAttention_PropagatedMasks_GiveKerasMaskTestValues(string kind)
    {
        Tensor query = Tensor.FromArray([1f, 0, 0, 1], 1, 2, 2), value = Tensor.FromArray([1f, 1, 1, 1], 1, 2, 2);
        Tensor queryMask = Tensor.FromArray([1f, 0f], 1, 2), valueMask = Tensor.FromArray([1f, 0f], 1, 2);
        Layer layer = kind == "additive" ? new AdditiveAttention(useScale: false) : new AttentionLayer();

        Tensor y = layer.Forward([query, value], [queryMask, valueMask], training: false);

        Assert.Equal([1f, 1f, 0f, 0f], y.ToArray(), new Tolerance(1e-6f));
        Tensor scores = layer is AdditiveAttention additive ? additive.LastAttentionScores : ((AttentionLayer)layer).LastAttentionScores;
        Assert.Equal([1f, 0f, 1f, 0f], scores.ToArray(), new Tolerance(1e-6f));
        Assert.Equal([1f, 0f], layer.OutputMask!.ToArray());

        // Without masks the output carries none, and the last pass's masks are gone.
        layer.Forward([query, value], training: false);
        Assert.Null(layer.OutputMask);
        Assert.Equal([1f, 1f, 1f, 1f], y.ToArray(), new Tolerance(1e-6f));
    }

    // The output's mask reaches the next layer: GlobalAveragePooling1D averages the real query steps only.
    [Fact]
    public void MultiHeadAttention_OutputMask_ReachesGlobalAveragePooling()
    {
        var ids = new Input(new TensorShape(5), "ids");
        SymbolicTensor e = new Embedding(4, 6, maskZero: true).Call(ids);
        SymbolicTensor attended = new MultiHeadAttention(2, 3, useCausalMask: true).Call(e, e);
        SymbolicTensor pooled = new GlobalAveragePooling1D().Call(attended);
        var model = new Functional([ids], [attended, pooled], seed: 6);

        IReadOnlyList<Tensor> outputs = model.Forward(new[] { Ids(QueryIds, 5) }, training: false);

        float[] sequence = outputs[0].ToArray(), mean = outputs[1].ToArray();
        float[] real = NonZero(QueryIds, 5).ToArray();
        for (int b = 0; b < 3; b++)
        {
            for (int c = 0; c < 6; c++)
            {
                double sum = 0, count = 0;
                for (int t = 0; t < 5; t++)
                {
                    sum += real[(b * 5) + t] * sequence[(((b * 5) + t) * 6) + c];
                    count += real[(b * 5) + t];
                }

                Assert.Equal(sum / count, mean[(b * 6) + c], 1e-5);
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void MultiHeadAttention_Backward_WithPropagatedMasks_MatchesNumericalGradients(bool hasKey, bool causal)
    {
        var layer = new MultiHeadAttention(2, 3, useCausalMask: causal, useAttentionMask: true) { Seed = 5 };
        var inputs = new List<Tensor> { TestData.Normal(1, 1f, 2, 4, 6), TestData.Normal(2, 1f, 2, 4, 5) };
        var masks = new List<Tensor?> { Mask(2, 4, (0, 3), (1, 1)), Mask(2, 4, (1, 2)) };
        if (hasKey)
        {
            inputs.Add(TestData.Normal(3, 1f, 2, 4, 7));
            masks.Add(Mask(2, 4, (0, 1)));
        }

        Tensor attentionMask = Tensor.Ones(2, 4, 4);
        attentionMask[1, 3, 0] = 0f;
        inputs.Add(attentionMask);
        masks.Add(null);

        StochasticGradientCheck.Check(layer, [.. inputs], [.. Enumerable.Range(0, hasKey ? 3 : 2)], seed: 8, training: false, masks: [.. masks])
            .AssertPassed(maxKinkFraction: 0);
        Assert.Equal(masks[0]!.ToArray(), layer.OutputMask!.ToArray());
    }

    [Theory]
    [InlineData("dot", false)]
    [InlineData("concat", true)]
    [InlineData("additive", true)]
    public void ScoreAttention_Backward_WithPropagatedMasks_MatchesNumericalGradients(string kind, bool causal)
    {
        Layer layer = kind == "additive"
            ? new AdditiveAttention(useCausalMask: causal)
            : new AttentionLayer(useScale: true, scoreMode: kind == "dot" ? AttentionScoreMode.Dot : AttentionScoreMode.Concat, useCausalMask: causal);
        Tensor[] inputs = [TestData.Normal(4, 1f, 2, 4, 3), TestData.Normal(5, 1f, 2, 4, 2), TestData.Normal(6, 1f, 2, 4, 3)];

        // Query steps and value steps after the first are masked, so every query step keeps a key (see the fully masked case below).
        Tensor?[] masks = [Mask(2, 4, (0, 2), (1, 3)), Mask(2, 4, (0, 1), (1, 3)), Mask(2, 4, (0, 2))];

        StochasticGradientCheck.Check(layer, inputs, [0, 1, 2], seed: 9, training: false, masks: masks).AssertPassed(maxKinkFraction: 0);
        Assert.Equal(masks[0]!.ToArray(), layer.OutputMask!.ToArray());
    }

    [Fact]
    public void Model_EmbeddingMasksThroughAttention_MatchesNumericalGradients()
    {
        var ids = new Input(new TensorShape(5), "ids");
        var other = new Input(new TensorShape(3), "other");
        SymbolicTensor e = new Embedding(4, 6, maskZero: true).Call(ids);
        SymbolicTensor f = new Embedding(6, 6, maskZero: true).Call(other);
        SymbolicTensor self = new MultiHeadAttention(2, 3, useCausalMask: true).Call(e, e);
        SymbolicTensor cross = new AttentionLayer(useScale: true).Call(self, f);
        SymbolicTensor output = new Dense(2).Call(new GlobalAveragePooling1D().Call(cross));
        var model = new Functional([ids, other], [output], seed: 7);

        ModelGradientChecker.Check(model, [Ids(QueryIds, 5), Ids(ValueIds, 3)], seed: 10).AssertPassed(maxKinkFraction: 0);
    }

    // Keras' _apply_scores subtracts 1e9 from every score of a row whose keys are all masked: in float32 the row is
    // uniform, and autodiff through the softmax gives ds = p·(dp − Σ p·dp), which reaches the query.
    [Fact]
    public void Attention_RowWithEveryKeyMasked_IsUniformWithKerasGradient()
    {
        Tensor query = TestData.Normal(11, 1f, 1, 2, 2), value = TestData.Normal(12, 1f, 1, 3, 2);
        Tensor valueMask = Tensor.Zeros(1, 3);
        var layer = new AttentionLayer();

        float[] y = layer.Forward([query, value], [null, valueMask], training: false).ToArray();
        Tensor upstream = TestData.Normal(13, 1f, 1, 2, 2);
        var gradients = new Tensor?[2];
        layer.Backward(upstream, gradients);

        float[] v = value.ToArray(), g = upstream.ToArray(), dq = gradients[0]!.ToArray();
        for (int t = 0; t < 2; t++)
        {
            for (int d = 0; d < 2; d++)
            {
                Assert.Equal((v[d] + v[2 + d] + v[4 + d]) / 3.0, y[(t * 2) + d], 1e-6);
            }

            // dp_s = g_t·v_s; ds_s = (dp_s − mean dp) / 3; dq_t = Σ_s ds_s·k_s with k = v.
            double[] dp = [.. Enumerable.Range(0, 3).Select(s => ((double)g[t * 2] * v[s * 2]) + ((double)g[(t * 2) + 1] * v[(s * 2) + 1]))];
            double meanDp = dp.Average();
            for (int d = 0; d < 2; d++)
            {
                double expected = Enumerable.Range(0, 3).Sum(s => (dp[s] - meanDp) / 3 * v[(s * 2) + d]);
                Assert.Equal(expected, dq[(t * 2) + d], 1e-5);
            }
        }

        Assert.Contains(dq, x => Math.Abs(x) > 1e-3);
    }
}
