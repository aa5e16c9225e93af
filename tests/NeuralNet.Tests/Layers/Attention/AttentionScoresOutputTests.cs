using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Serialization;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Layers.Attention;

/// <summary>
/// Keras' <c>return_attention_scores=True</c> as a second output of the attention layers (<c>returnAttentionScores</c>):
/// its values (Keras' formula, Keras' own test values), its gradient (numerical checks with the scores' gradient alone and
/// beside the output's, with masks, the causal mask and dropout under a fixed mask), models that output it, and the
/// refusals.
/// </summary>
public class AttentionScoresOutputTests
{
    // heads 2, keyDim 3, query (B, 4, 6), value (B, 5, 6); mask (B, 4, 5) where asked (with one query row fully masked).
    private static (MultiHeadAttention Layer, Tensor[] Inputs) MultiHead(bool causal, bool mask, double dropout = 0.0, int batch = 2, bool returnScores = true)
    {
        int tv = causal ? 4 : 5;
        var layer = new MultiHeadAttention(2, 3, dropout: dropout, biasInitializer: new RandomNormal(0, 0.3, 5), useCausalMask: causal, useAttentionMask: mask,
            returnAttentionScores: returnScores, seed: 77) { Seed = 9 };
        var inputs = new List<Tensor> { TestData.Normal(1, 1f, batch, 4, 6), TestData.Normal(2, 1f, batch, tv, 6) };
        if (mask)
        {
            var m = new Tensor(new TensorShape(batch, 4, tv));
            Span<float> ms = m.AsSpan();
            for (int i = 0; i < ms.Length; i++)
            {
                ms[i] = i % 7 == 2 ? 0f : 1f;
            }

            // Sample 0, query step 1: every key masked (Keras' explicit path gives that row probabilities 0).
            ms.Slice(tv, tv).Clear();
            inputs.Add(m);
        }

        Tensor[] array = [.. inputs];
        layer.Build([.. array.Select(t => t.Shape.DropFirst())]);
        return (layer, array);
    }

    private static int[] Sequences(Tensor[] inputs, bool mask) => [.. Enumerable.Range(0, inputs.Length - (mask ? 1 : 0))];

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void MultiHead_Scores_AreKerasFormulaAndLastAttentionScores(bool causal, bool mask)
    {
        (MultiHeadAttention layer, Tensor[] inputs) = MultiHead(causal, mask);

        Tensor output = layer.Forward(inputs, training: false);
        Tensor scores = layer.GetOutput(1);

        // Keras' explicit path (taken when it returns the scores): softmax of q·kᵀ / sqrt(3) with −1e9 where masked, times the mask.
        (double[] expectedOutput, double[] expectedScores) = MultiHeadAttentionTests.Reference(layer, inputs[0], inputs[1], null, mask ? inputs[2] : null, explicitPath: true);
        int tv = causal ? 4 : 5;
        Assert.Equal(new TensorShape(2, 2, 4, tv), scores.Shape);
        Assert.Equal(layer.OutputShapes[1], scores.Shape.DropFirst());
        Assert.Same(layer.LastAttentionScores, scores);
        ReadOnlySpan<float> s = scores.AsReadOnlySpan(), y = output.AsReadOnlySpan();
        for (int i = 0; i < s.Length; i++)
        {
            Assert.Equal(expectedScores[i], s[i], 1e-5);
        }

        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(expectedOutput[i], y[i], 1e-4);
        }

        if (mask)
        {
            // The fully masked row: 0, not the uniform 1/Tv the layer gives without returnAttentionScores.
            Assert.All(s.Slice(tv, tv).ToArray(), p => Assert.Equal(0f, p));
        }
    }

    [Theory]
    [InlineData(false, false, 0.0, false)]
    [InlineData(false, true, 0.0, false)]
    [InlineData(true, false, 0.0, false)]
    [InlineData(true, true, 0.0, false)]
    [InlineData(false, true, 0.3, false)]
    [InlineData(true, false, 0.3, false)]
    [InlineData(false, false, 0.0, true)]
    [InlineData(true, true, 0.3, true)]
    public void MultiHead_BackwardWithScoresGradient_MatchesNumericalGradients(bool causal, bool mask, double dropout, bool scoresOnly)
    {
        (MultiHeadAttention layer, Tensor[] inputs) = MultiHead(causal, mask, dropout);

        // Dropout (training) draws the same mask for every pass, so the objective is a fixed function.
        StochasticGradientCheck.Check(layer, inputs, Sequences(inputs, mask), seed: 11, training: dropout > 0, skipFirstOutput: scoresOnly).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void MultiHead_WithDropout_ScoresAreBeforeDropout()
    {
        // Keras' _compute_attention returns attention_scores, not the dropped-out final_attn_scores.
        (MultiHeadAttention layer, Tensor[] inputs) = MultiHead(causal: false, mask: false, dropout: 0.5);
        layer.Forward(inputs, training: true);
        float[] trained = layer.GetOutput(1).ToArray();
        layer.Forward(inputs, training: false);

        Assert.Equal(layer.GetOutput(1).ToArray(), trained);
        for (int row = 0; row < trained.Length / 5; row++)
        {
            Assert.Equal(1.0, trained.AsSpan(row * 5, 5).ToArray().Sum(), 1e-5);
        }
    }

    [Fact]
    public void GroupedQuery_BackwardWithScoresGradient_MatchesNumericalGradients()
    {
        var layer = new GroupedQueryAttention(3, 4, 2, biasInitializer: new RandomNormal(0, 0.3, 5), useCausalMask: true, returnAttentionScores: true) { Seed = 4 };
        Tensor x = TestData.Normal(3, 1f, 2, 4, 6);
        layer.Build([x.Shape.DropFirst(), x.Shape.DropFirst()]);

        layer.Forward([x, x], training: false);

        Assert.Equal(new TensorShape(4, 4, 4), layer.OutputShapes[1]);
        StochasticGradientCheck.Check(layer, [x, TestData.Normal(5, 1f, 2, 4, 6)], [0, 1], seed: 12, training: false).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void MultiHead_HigherRank_ScoresInKerasLayoutWithNumericalGradients()
    {
        // (batch, 2, 3, 4) attending over axis 2: scores (batch, 2 rows, heads, 3, 3), Keras' layout.
        var layer = new MultiHeadAttention(2, 2, attentionAxes: [2], returnAttentionScores: true) { Seed = 6 };
        Tensor q = TestData.Normal(7, 1f, 2, 2, 3, 4), v = TestData.Normal(8, 1f, 2, 2, 3, 4);
        layer.Build([q.Shape.DropFirst(), v.Shape.DropFirst()]);

        layer.Forward([q, v], training: false);

        Assert.Equal(new TensorShape(2, 2, 2, 3, 3), layer.GetOutput(1).Shape);
        Assert.Equal(layer.LastAttentionScores.ToArray(), layer.GetOutput(1).ToArray());
        StochasticGradientCheck.Check(layer, [q, v], [0, 1], seed: 13, training: false).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Attention_KerasTestValues_OutputAndScores()
    {
        // keras/src/layers/attention/attention_test.py, test_attention_correctness (atol 1e-3 there; here the exact values
        // by hand: dot scores [0, 1] -> softmax [0.2689, 0.7311]; concat 2·tanh(1) vs tanh(2) -> [0.6365, 0.3635]).
        Tensor query = Tensor.FromArray(new[] { 1f, 0f, 0f, 1f }, 1, 2, 2);
        Tensor key = Tensor.FromArray(new[] { 0f, 1f, 1f, 0f }, 1, 2, 2);
        Tensor value = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 1, 2, 2);
        double a = 1 / (1 + Math.E), c = 1 / (1 + Math.Exp(Math.Tanh(2) - (2 * Math.Tanh(1))));
        foreach ((AttentionScoreMode mode, double p, float[] keras) in new[] { (AttentionScoreMode.Dot, a, new[] { 2.462f, 3.462f, 1.538f, 2.538f }), (AttentionScoreMode.Concat, c, new[] { 1.727f, 2.727f, 2.272f, 3.272f }) })
        {
            var layer = new NeuralNet.Layers.Attention(scoreMode: mode, returnAttentionScores: true);
            layer.Build([query.Shape.DropFirst(), value.Shape.DropFirst(), key.Shape.DropFirst()]);
            Tensor output = layer.Forward([query, value, key], training: false);

            Assert.Equal(new[] { p, 1 - p, 1 - p, p }, layer.GetOutput(1).ToArray().Select(x => (double)x), new Comparer(1e-6));
            Assert.Equal(keras, output.ToArray(), new FloatComparer(1e-3f));
        }
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.4)]
    public void ScoreAttention_BackwardWithScoresGradient_MatchesNumericalGradients(bool additive, double dropout)
    {
        Layer layer = additive
            ? new AdditiveAttention(dropout: dropout, useCausalMask: true, useMasks: true, returnAttentionScores: true, seed: 3)
            : new NeuralNet.Layers.Attention(useScale: true, dropout: dropout, useMasks: true, returnAttentionScores: true, seed: 3);
        Tensor q = TestData.Normal(1, 1f, 2, 4, 3), v = TestData.Normal(2, 1f, 2, 4, 5), k = TestData.Normal(3, 1f, 2, 4, 3);
        var qm = new Tensor(new TensorShape(2, 4));
        var vm = new Tensor(new TensorShape(2, 4));
        qm.AsSpan().Fill(1f);
        vm.AsSpan().Fill(1f);
        qm.AsSpan()[2] = 0f;
        vm.AsSpan()[5] = 0f;
        Tensor[] inputs = [q, v, k, qm, vm];
        layer.Build([.. inputs.Select(t => t.Shape.DropFirst())]);

        layer.Forward(inputs, training: dropout > 0);

        Assert.Equal(new TensorShape(2, 4, 4), layer.GetOutput(1).Shape);
        StochasticGradientCheck.Check(layer, inputs, [0, 1, 2], seed: 14, training: dropout > 0).AssertPassed(maxKinkFraction: 0);
        StochasticGradientCheck.Check(layer, inputs, [0, 1, 2], seed: 15, training: dropout > 0, skipFirstOutput: true).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Attention_WithDropout_ScoresAreTheDroppedWeights()
    {
        // Keras' Attention._apply_scores returns the weights after dropout (those the value is multiplied by).
        var layer = new NeuralNet.Layers.Attention(dropout: 0.5, returnAttentionScores: true, seed: 2);
        Tensor q = TestData.Normal(1, 1f, 1, 3, 2);
        layer.Build([q.Shape.DropFirst(), q.Shape.DropFirst()]);

        layer.Forward([q, q], training: true);
        float[] scores = layer.GetOutput(1).ToArray();
        layer.Forward([q, q], training: false);
        float[] weights = layer.GetOutput(1).ToArray();

        // Each returned weight is dropped (0) or kept and scaled by 1 / (1 - 0.5).
        Assert.Contains(0f, scores);
        Assert.All(Enumerable.Range(0, scores.Length), i => Assert.True(scores[i] == 0f || Math.Abs(scores[i] - (2f * weights[i])) < 1e-6f, $"score {i}: {scores[i]} vs weight {weights[i]}"));
    }

    [Fact]
    public void Model_OutputsScores_PredictReturnsThemAndALossOnThemTrainsTheLayer()
    {
        var x = new Input(new TensorShape(4, 6), "x");
        var mha = new MultiHeadAttention(2, 3, useCausalMask: true, returnAttentionScores: true, name: "mha");
        SymbolicTensor[] outputs = mha.CallOutputs(x, x);
        // Both outputs of one layer are the model's outputs, the second named after the layer with "_1".
        var model = new Functional(x, [outputs[0], outputs[1]], seed: 1);
        Assert.Equal(["mha", "mha_1"], model.OutputNames);
        Tensor data = TestData.Normal(9, 1f, 8, 4, 6);

        IReadOnlyList<Tensor> predicted = model.PredictOutputs(data);

        Assert.Equal(new TensorShape(8, 2, 4, 4), predicted[1].Shape);
        (_, double[] expected) = MultiHeadAttentionTests.Reference(mha, data, data, null, null, explicitPath: true);
        Assert.Equal(expected, predicted[1].ToArray().Select(p => (double)p), new Comparer(1e-5));

        // Only the scores have a loss: uniform targets pull the query and key kernels, which nothing else reaches.
        var scoresOnly = new Functional(x, outputs[1], seed: 1);
        var target = new Tensor(new TensorShape(8, 2, 4, 4));
        target.AsSpan().Fill(0.25f);
        scoresOnly.Compile(new Sgd(0.5f), new MeanSquaredError());
        float[] before = mha.QueryKernel.Value.ToArray();
        History history = scoresOnly.Fit(data, target, epochs: 3, batchSize: 8, verbose: 0);

        Assert.NotEqual(before, mha.QueryKernel.Value.ToArray());
        Assert.True(history["loss"][^1] < history["loss"][0], $"loss {string.Join(", ", history["loss"])} did not fall");

        // Losses and metrics by output name: the loss reaches the scores under "mha_1", the metric the attended values under "mha".
        model.Compile(new Sgd(0.1f), new Dictionary<string, Loss> { ["mha_1"] = new MeanSquaredError() },
            metrics: new Dictionary<string, IReadOnlyList<Metric>> { ["mha"] = [new MeanAbsoluteErrorMetric()] });
        Tensor zeros = new(new TensorShape(8, 4, 6));
        // One batch: the logged loss is the scores' mean squared distance to 0.25 before the step, computed here directly.
        double expectedLoss = model.PredictOutputs(data)[1].ToArray().Average(p => (p - 0.25) * (p - 0.25));
        History byName = model.Fit(data, new Dictionary<string, Tensor> { ["mha"] = zeros, ["mha_1"] = target }, epochs: 1, batchSize: 8, verbose: 0);
        // One output has a loss, so only the total is logged (Keras logs per-output losses for several), beside mha's metric.
        Assert.Equal(["loss", "mha_mean_absolute_error"], byName.Keys);
        Assert.Equal(expectedLoss, byName["loss"][0], 5);
    }

    [Fact]
    public void Sequential_LayerWithScores_RefusedNamingIt()
    {
        var model = new Sequential(name: "seq");

        var error = Assert.Throws<ArgumentException>(() => model.Add(new NeuralNet.Layers.Attention(returnAttentionScores: true, name: "att")));

        Assert.Contains("'att'", error.Message, StringComparison.Ordinal);
        Assert.Contains("returnAttentionScores", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Call_WhereOneOutputIsExpected_RefusedNamingTheLayer()
    {
        var x = new Input(new TensorShape(4, 6));
        var layer = new MultiHeadAttention(2, 3, returnAttentionScores: true, name: "mha");

        var error = Assert.Throws<InvalidOperationException>(() => layer.Call(x, x));

        Assert.Contains("'mha'", error.Message, StringComparison.Ordinal);
        Assert.Contains("CallOutputs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FlashAttentionWithScores_RefusedAsKerasDoes()
    {
        var error = Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 3, returnAttentionScores: true, name: "mha") { FlashAttention = true });

        Assert.Contains("'mha'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainingStepWithScoresGradient_AfterWarmUp_AllocatesNothing()
    {
        (MultiHeadAttention layer, Tensor[] inputs) = MultiHead(causal: true, mask: true, dropout: 0.3, batch: 3);
        var attention = new AdditiveAttention(dropout: 0.3, returnAttentionScores: true, seed: 1);
        Tensor q = TestData.Normal(4, 1f, 3, 4, 3);
        attention.Build([q.Shape.DropFirst(), q.Shape.DropFirst()]);
        Tensor?[] gradients = [TestData.Normal(5, 1f, 3, 4, 6), TestData.Normal(6, 1f, 3, 2, 4, 4)];
        Tensor?[] scoreGradients = [null, TestData.Normal(7, 1f, 3, 4, 4)];
        var slots = new Tensor?[3];
        var scoreSlots = new Tensor?[2];

        void Step()
        {
            layer.Forward(inputs, training: true);
            layer.Backward(gradients, slots);
            attention.Forward([q, q], training: true);
            attention.Backward(scoreGradients, scoreSlots);
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }

    [Fact]
    public void FitSteps_ModelOutputtingScores_AfterWarmUp_AllocateNothing()
    {
        // Through the graph executor: a MultiHeadAttention over axis 2 of (2, 3, 4) samples (scores laid out for Keras by
        // the higher-rank view) and a causal Attention, both with dropout, every output (the scores too) with a loss.
        var x = new Input(new TensorShape(2, 3, 4), "x");
        var s = new Input(new TensorShape(4, 3), "s");
        var mhaLayer = new MultiHeadAttention(2, 2, dropout: 0.2, attentionAxes: [2], returnAttentionScores: true, name: "mha");
        var attLayer = new NeuralNet.Layers.Attention(dropout: 0.2, useCausalMask: true, returnAttentionScores: true, name: "att");
        SymbolicTensor[] mha = mhaLayer.CallOutputs(x, x);
        SymbolicTensor[] att = attLayer.CallOutputs(s, s);
        var model = new Functional([x, s], [mha[0], mha[1], att[0], att[1]], seed: 4);
        model.Compile(new Adam(), [new MeanSquaredError(), new MeanSquaredError(), new MeanSquaredError(), new MeanSquaredError()]);
        Tensor[] batch =
        [
            TestData.Normal(1, 1f, 5, 2, 3, 4), TestData.Normal(2, 1f, 5, 4, 3),
            TestData.Normal(3, 1f, 5, 2, 3, 4), TestData.Normal(4, 0.1f, 5, 2, 2, 3, 3), TestData.Normal(5, 1f, 5, 4, 3), TestData.Normal(6, 0.1f, 5, 4, 4),
        ];
        float[] before = mhaLayer.QueryKernel.Value.ToArray();

        void Step()
        {
            model.TrainStep(batch);
            _ = mhaLayer.GetOutput(1);
            _ = attLayer.GetOutput(1);
        }

        Step();
        Step();
        AllocationCheck.AssertNone(Step);

        Assert.NotEqual(before, mhaLayer.QueryKernel.Value.ToArray());
        Assert.Equal(new TensorShape(5, 2, 2, 3, 3), mhaLayer.GetOutput(1).Shape);
        Assert.Equal(new TensorShape(5, 4, 4), attLayer.GetOutput(1).Shape);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VariableLengthQueryAndValue_Scores_MatchAModelOfThatLength(bool multiHead)
    {
        // Query and value declared (None, 3): at each length the outputs and scores are those of a model built for it.
        Functional Build(int? tq, int? tv)
        {
            var q = tq is int a ? new Input(new TensorShape(a, 3), "q") : new Input([null, 3], "q");
            var v = tv is int b ? new Input(new TensorShape(b, 3), "v") : new Input([null, 3], "v");
            SymbolicTensor[] outputs = multiHead
                ? new MultiHeadAttention(2, 2, returnAttentionScores: true, name: "attend").CallOutputs(q, v)
                : new NeuralNet.Layers.Attention(useScale: true, returnAttentionScores: true, name: "attend").CallOutputs(q, v);
            return new Functional([q, v], [outputs[0], outputs[1]], seed: 7);
        }

        Functional variable = Build(null, null);
        foreach ((int tq, int tv) in new[] { (4, 5), (2, 2), (4, 5) })
        {
            Functional fixedModel = Build(tq, tv);
            fixedModel.SetWeights(variable.GetWeights());
            Tensor query = TestData.Normal(tq, 1f, 3, tq, 3), value = TestData.Normal(tv + 10, 1f, 3, tv, 3);

            IReadOnlyList<Tensor> actual = variable.PredictOutputs([query, value]), expected = fixedModel.PredictOutputs([query, value]);

            Assert.Equal(multiHead ? new TensorShape(3, 2, tq, tv) : new TensorShape(3, tq, tv), actual[1].Shape);
            Assert.Equal(expected[0].ToArray(), actual[0].ToArray(), new FloatComparer(1e-6f));
            Assert.Equal(expected[1].ToArray(), actual[1].ToArray(), new FloatComparer(1e-6f));
        }
    }

    [Fact]
    public void SaveLoad_ModelOutputtingScores_RoundTripsBitForBit()
    {
        using var dir = new TempDirectory();
        string path = dir.File("scores.safetensors");
        var q = new Input(new TensorShape(4, 6), "q");
        SymbolicTensor[] att = new AdditiveAttention(returnAttentionScores: true, name: "att").CallOutputs(q, q);
        SymbolicTensor[] mha = new MultiHeadAttention(2, 3, returnAttentionScores: true, name: "mha").CallOutputs(att[0], q);
        var model = new Functional(q, [mha[0], att[1], new Identity(name: "mha_scores").Call(mha[1])], seed: 2);
        Tensor data = TestData.Normal(3, 1f, 2, 4, 6);
        model.Save(path);

        Model loaded = Model.Load(path);

        IReadOnlyList<Tensor> expected = model.PredictOutputs(data), actual = loaded.PredictOutputs(data);
        Assert.Equal(3, actual.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Bits(expected[i]), Bits(actual[i]));
        }

        Assert.True(((MultiHeadAttention)loaded.Layers.Single(l => l.Name == "mha")).ReturnAttentionScores);
    }

    private sealed class Comparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    private sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
