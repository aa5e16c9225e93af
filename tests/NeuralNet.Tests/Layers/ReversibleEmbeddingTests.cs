using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class ReversibleEmbeddingTests
{
    // Keras' reversible_embedding_test.py test_correctness: embeddings [[0, 0], [2, 2], [3, 3]].
    private static readonly float[] KerasTable = [0f, 0f, 2f, 2f, 3f, 3f];

    [Fact]
    public void Forward_KerasCorrectnessCase_LooksUpRowsAndProjectsBack()
    {
        var layer = new ReversibleEmbedding(3, 2);
        layer.Build(new TensorShape(3));
        KerasTable.CopyTo(layer.Embeddings.Value.AsSpan());

        Assert.Equal([3f, 3f, 2f, 2f, 0f, 0f], layer.Forward(Tensor.FromArray([2f, 1f, 0f], 1, 3), training: false).ToArray());
        Layer reverse = ReverseCopy(layer, new TensorShape(2));
        Assert.Equal([0f, 4f, 6f], reverse.Forward(Tensor.FromArray([1f, 1f], 1, 2), training: false).ToArray());
    }

    [Fact]
    public void Forward_KerasSoftCapCase_GivesKerasPublishedLogits()
    {
        var layer = new ReversibleEmbedding(3, 2, logitSoftCap: 5f);
        layer.Build(new TensorShape(3));
        KerasTable.CopyTo(layer.Embeddings.Value.AsSpan());

        float[] y = ReverseCopy(layer, new TensorShape(2)).Forward(Tensor.FromArray([1f, 1f], 1, 2), training: false).ToArray();

        // Keras' published values: tanh(logits / 5) * 5 of [0, 4, 6].
        float[] expected = [0f, 3.320184f, 4.168273f];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i], y[i], 5);
        }
    }

    [Fact]
    public void Forward_UntiedWeights_ProjectsWithReverseEmbeddings()
    {
        var layer = new ReversibleEmbedding(3, 2, tieWeights: false);
        layer.Build(new TensorShape(4));
        Assert.Equal(["embeddings", "reverse_embeddings"], layer.Parameters.Select(p => p.Name));
        Assert.Equal(new TensorShape(2, 3), layer.ReverseEmbeddings!.Shape);
        float[] w = [1f, 2f, 3f, 4f, 5f, 6f];
        w.CopyTo(layer.ReverseEmbeddings.Value.AsSpan());

        float[] y = ReverseCopy(layer, new TensorShape(2)).Forward(Tensor.FromArray([1f, -1f, 0.5f, 2f], 2, 2), training: false).ToArray();

        // [1, -1] · W = [1 - 4, 2 - 5, 3 - 6]; [0.5, 2] · W = [0.5 + 8, 1 + 10, 1.5 + 12].
        Assert.Equal([-3f, -3f, -3f, 8.5f, 11f, 13.5f], y);
    }

    [Fact]
    public void Forward_TiedLayer_HasOneParameterAndNoReverseEmbeddings()
    {
        var layer = new ReversibleEmbedding(7, 3);
        layer.Build(new TensorShape(2));

        Assert.Single(layer.Parameters);
        Assert.Null(layer.ReverseEmbeddings);
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, null)]
    [InlineData(true, 2f)]
    [InlineData(false, 2f)]
    public void BackwardReverse_MatchesNumericalGradients(bool tieWeights, float? cap)
    {
        var layer = new ReversibleEmbedding(9, 4, tieWeights: tieWeights, logitSoftCap: cap) { Seed = 3 };
        layer.Build(new TensorShape(5));
        TestData.Normal(4, 0.7f, 9, 4).AsReadOnlySpan().CopyTo(layer.Embeddings.Value.AsSpan());
        Layer reverse = ReverseCopy(layer, new TensorShape(3, 4));

        GradientCheckReport report = GradientChecker.CheckLayer(reverse, TestData.Normal(5, 1f, 2, 3, 4), seed: 6);

        report.AssertPassed();
        Assert.Equal(2 * 3 * 4 + (9 * 4) + (tieWeights ? 0 : 4 * 9), report.Checked);
    }

    [Property(MaxTest = 40, Replay = "(20261206,31)")]
    public void Reverse_RandomShapes_MatchesPlainReference(FsCheck.PositiveInt vocabulary, FsCheck.PositiveInt dim, FsCheck.PositiveInt steps, bool tieWeights, bool capped)
    {
        int v = (vocabulary.Get % 70) + 1, d = (dim.Get % 20) + 1, t = (steps.Get % 5) + 1, batch = 2, rows = batch * t;
        float cap = 1.7f;
        var layer = new ReversibleEmbedding(v, d, tieWeights, logitSoftCap: capped ? cap : null) { Seed = v + d };
        layer.Build(new TensorShape(t));
        Parameter kernel = tieWeights ? layer.Embeddings : layer.ReverseEmbeddings!;
        TestData.Normal(v * d, 0.5f, kernel.Value.Shape.Dimensions.ToArray()).AsReadOnlySpan().CopyTo(kernel.Value.AsSpan());
        Layer reverse = ReverseCopy(layer, new TensorShape(t, d));
        Tensor hidden = TestData.Normal(rows, 1f, batch, t, d), g = TestData.Normal(rows + 1, 1f, batch, t, v);

        float[] y = reverse.Forward(hidden, training: false).ToArray();
        kernel.ZeroGradient();
        float[] dh = reverse.Backward(g).ToArray();

        // The plain form in double: W(i, j) is the kernel read as (d, v) (the embeddings transposed when tied).
        ReadOnlySpan<float> h = hidden.AsReadOnlySpan(), gs = g.AsReadOnlySpan(), dk = kernel.Gradient.AsReadOnlySpan();
        float[] k = kernel.Value.ToArray();
        double W(int i, int j) => tieWeights ? k[(j * d) + i] : k[(i * v) + j];
        var dz = new double[rows * v];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < v; j++)
            {
                double z = 0;
                for (int i = 0; i < d; i++)
                {
                    z += h[(r * d) + i] * W(i, j);
                }

                double expected = capped ? Math.Tanh(z / cap) * cap : z;
                Assert.Equal(expected, y[(r * v) + j], 1e-4 * (1 + Math.Abs(expected)));
                dz[(r * v) + j] = gs[(r * v) + j] * (capped ? 1 - Math.Pow(Math.Tanh(z / cap), 2) : 1);
            }
        }

        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < v; j++)
            {
                double dw = 0;
                for (int r = 0; r < rows; r++)
                {
                    dw += h[(r * d) + i] * dz[(r * v) + j];
                }

                Assert.Equal(dw, tieWeights ? dk[(j * d) + i] : dk[(i * v) + j], 1e-3 * (1 + Math.Abs(dw)));
            }
        }

        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < d; i++)
            {
                double expected = 0;
                for (int j = 0; j < v; j++)
                {
                    expected += dz[(r * v) + j] * W(i, j);
                }

                Assert.Equal(expected, dh[(r * d) + i], 1e-3 * (1 + Math.Abs(expected)));
            }
        }
    }

    [Fact]
    public void BackwardLookup_MatchesNumericalGradients_AndRepeatedIdsAccumulate()
    {
        var layer = new ReversibleEmbedding(6, 3) { Seed = 8 };
        layer.Build(new TensorShape(4));
        layer.ComputesInputGradient = false;
        Tensor ids = Tensor.FromArray([0f, 5f, 2f, 5f, 1f, 1f, 1f, 3f], 2, 4);

        GradientChecker.CheckLayer(layer, ids, seed: 9).AssertPassed();

        Tensor g = TestData.Normal(10, 1f, 2, 4, 3);
        layer.Embeddings.ZeroGradient();
        layer.Forward(ids, training: false);
        layer.Backward(g);
        ReadOnlySpan<float> dE = layer.Embeddings.Gradient.AsReadOnlySpan(), gs = g.AsReadOnlySpan();
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(gs[(1 * 3) + c] + gs[(3 * 3) + c], dE[(5 * 3) + c], 6);
            Assert.Equal(0f, dE[(4 * 3) + c]);
        }
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, 3f)]
    public void TiedLanguageModel_GradientsOfBothCallsAddIntoTheEmbeddings(bool tieWeights, float? cap)
    {
        (Functional model, ReversibleEmbedding embedding) = LanguageModel(tieWeights, cap, vocabulary: 11, dim: 4, steps: 5);
        // Ids 0..9: row 10 is never looked up.
        Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, 15).Select(i => (float)((i * 7) % 10))], 3, 5);

        ModelGradientChecker.Check(model, [ids], seed: 12).AssertPassed();

        // Tied, the embeddings get both calls' gradients, so row 10, which no id reaches, has the projection's; untied, it has none.
        Assert.Same(embedding.Embeddings, model.Parameters[0]);
        float[] unseenRow = embedding.Embeddings.Gradient.AsReadOnlySpan().Slice(10 * 4, 4).ToArray();
        Assert.Equal(tieWeights, unseenRow.Any(v => v != 0f));
    }

    [Fact]
    public void LookupWithMaskZero_MasksIds_ReverseOutputCarriesNoMask()
    {
        // Keras' test_masking: the lookup's output carries ids != 0; the reverse call's none.
        var layer = new ReversibleEmbedding(3, 2, maskZero: true);
        layer.Build(new TensorShape(3));
        layer.Forward(Tensor.FromArray([2f, 1f, 0f], 1, 3), training: false);
        Assert.Equal([1f, 1f, 0f], layer.OutputMask!.ToArray());

        Layer reverse = ReverseCopy(layer, new TensorShape(2, 2));
        reverse.Forward(Tensor.FromArray([1f, 2f, 0f, 0f], 1, 2, 2), Tensor.FromArray([1f, 0f], 1, 2), training: false);
        Assert.Null(reverse.OutputMask);
    }

    [Fact]
    public void CallReverse_WrongHiddenSize_ThrowsNamingShapes_AndRecordsNothing()
    {
        var layer = new ReversibleEmbedding(10, 4, name: "tokens");
        layer.Call(new Input(new TensorShape(5)));
        int calls = layer.Nodes.Count;

        var ex = Assert.Throws<ArgumentException>(() => layer.CallReverse(new Input(new TensorShape(5, 3))));

        Assert.Contains("ReversibleEmbedding 'tokens'", ex.Message);
        Assert.Contains("(None, ..., 4)", ex.Message);
        Assert.Contains("(None, 5, 3)", ex.Message);
        Assert.Equal(calls, layer.Nodes.Count);
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("bfloat16")]
    [InlineData("float64")]
    public void Constructor_ReverseDtypeOtherThanFloat32_Throws(string dtype)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ReversibleEmbedding(10, 4, reverseDtype: dtype));

        Assert.Equal("reverseDtype", ex.ParamName);
        Assert.Contains(dtype, ex.Message);
        Assert.Contains("float32", ex.Message);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Constructor_CapNotPositiveFinite_Throws(float cap)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ReversibleEmbedding(10, 4, logitSoftCap: cap));

        Assert.Equal("logitSoftCap", ex.ParamName);
    }

    [Fact]
    public void GetConfig_WritesKerasKeys_AndRoundTrips()
    {
        var layer = new ReversibleEmbedding(100, 32, tieWeights: false, maskZero: true, reverseDtype: "float32", logitSoftCap: 50f, name: "tok");

        Config config = layer.GetConfig();
        var copy = (ReversibleEmbedding)SerializationRegistry.Deserialize<Layer>(SerializationRegistry.Serialize(layer), new Config(), "layer");

        Assert.Equal(100, config.GetInt32("input_dim"));
        Assert.Equal(32, config.GetInt32("output_dim"));
        Assert.False(config.GetBoolean("tie_weights"));
        Assert.Equal("float32", config.GetString("reverse_dtype"));
        Assert.Equal(50f, config.GetSingle("logit_soft_cap"));
        Assert.True(config.GetBoolean("mask_zero"));
        Assert.Equal((100, 32, false, true, "float32", 50f, "tok"), (copy.InputDim, copy.OutputDim, copy.TieWeights, copy.MaskZero, copy.ReverseDtype, copy.LogitSoftCap, copy.Name));
        Assert.True(new ReversibleEmbedding(3, 2).GetConfig().Contains("tie_weights"));
        Assert.False(new ReversibleEmbedding(3, 2).GetConfig().Contains("logit_soft_cap"));
    }

    [Fact]
    public void FromConfig_ReverseDtypeFloat16_IsRefusedAsBadData()
    {
        var item = SerializationRegistry.Serialize(new ReversibleEmbedding(10, 4));
        item["config"]!["reverse_dtype"] = "float16";

        var ex = Assert.Throws<InvalidDataException>(() => SerializationRegistry.Deserialize<Layer>(item, new Config(), "layer"));

        Assert.Contains("reverse_dtype", ex.Message);
        Assert.Contains("float16", ex.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SaveLoad_TiedLanguageModel_RoundTripsTheReverseCall(bool tieWeights)
    {
        (Functional model, _) = LanguageModel(tieWeights, 4f, vocabulary: 13, dim: 6, steps: 4);
        Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, 8).Select(i => (float)((i * 5) % 13))], 2, 4);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-revemb-{Environment.ProcessId}-{tieWeights}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);

            Assert.Equal(model.Predict(ids).ToArray(), loaded.Predict(ids).ToArray());
            Assert.Equal(tieWeights ? 3 : 4, loaded.Parameters.Count);
            string json = SafeTensors.Load(path).Metadata["model_config"];
            Assert.Contains("\"reverse\":true", json.Replace(" ", string.Empty, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("dense", "true", "passes \"reverse\" by keyword")]
    [InlineData("tokens", "1", "\"reverse\" must be true, false or null")]
    public void Load_ReverseKeywordWhereItCannotBe_IsRefusedAsBadData(string layer, string value, string expected)
    {
        (Functional model, _) = LanguageModel(true, null, vocabulary: 8, dim: 3, steps: 2);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-revemb-bad-{Environment.ProcessId}-{layer}.safetensors");
        try
        {
            model.Save(path);
            SafeTensorsFile file = SafeTensors.Load(path);
            var metadata = file.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
            var config = System.Text.Json.Nodes.JsonNode.Parse(metadata["model_config"])!;
            var item = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["name"] == layer)!;
            item["inbound_nodes"]![0]!["kwargs"]!["reverse"] = System.Text.Json.Nodes.JsonNode.Parse(value);
            metadata["model_config"] = config.ToJsonString();
            SafeTensors.Save(path, file.Names.Select(n => KeyValuePair.Create(n, file[n])).ToList(), metadata);

            var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

            Assert.Contains(expected, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ModelCalledAgain_KeepsTheReverseCall()
    {
        (Functional inner, _) = LanguageModel(true, null, vocabulary: 8, dim: 3, steps: 2);
        var x = new Input(new TensorShape(2));
        var outer = new Functional(x, inner.Call(x));
        Tensor ids = Tensor.FromArray([1f, 7f, 0f, 3f], 2, 2);

        Assert.Equal(inner.Predict(ids).ToArray(), outer.Predict(ids).ToArray());
    }

    [Fact]
    public void TrainStep_TiedLanguageModel_AllocatesNothingAfterTheFirstBatch()
    {
        (Functional model, _) = LanguageModel(true, 5f, vocabulary: 20, dim: 8, steps: 6);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)((i * 3) % 20))], 4, 6);
        Tensor targets = TestData.Normal(14, 1f, 4, 6, 20);
        model.TrainStep(ids, targets);

        AllocationCheck.AssertNone(() => model.TrainStep(ids, targets));
    }

    [Fact]
    public void Fit_TiedLanguageModel_SameBitsWhateverTheThreadCount()
    {
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            var runs = new List<float[][]>();
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                (Functional model, _) = LanguageModel(true, 5f, vocabulary: 300, dim: 48, steps: 16);
                model.Compile(new Adam(0.01f), new SparseCategoricalCrossEntropy(fromLogits: true));
                Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, 32 * 16).Select(i => (float)((i * 37) % 300))], 32, 16);
                Tensor next = Tensor.FromArray([.. Enumerable.Range(0, 32 * 16).Select(i => (float)((i * 37 + 37) % 300))], 32, 16);
                model.Fit(ids, next, epochs: 2, batchSize: 16, verbose: 0);
                runs.Add([.. model.Parameters.Select(p => p.Value.ToArray())]);
            }

            Assert.Equal(runs[0], runs[1]);
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    // ids (steps) -> ReversibleEmbedding -> Dense(dim, tanh) -> the same embedding in reverse: logits (steps, vocabulary).
    private static (Functional Model, ReversibleEmbedding Embedding) LanguageModel(bool tieWeights, float? cap, int vocabulary, int dim, int steps)
    {
        var ids = new Input(new TensorShape(steps));
        var embedding = new ReversibleEmbedding(vocabulary, dim, tieWeights, logitSoftCap: cap, name: "tokens");
        SymbolicTensor hidden = new Dense(dim, ActivationFunction.Tanh, name: "dense").Call(embedding.Call(ids));
        return (new Functional(ids, embedding.CallReverse(hidden), seed: 21), embedding);
    }

    // The instance a model runs for a reverse call of `layer` on hidden states of `hiddenShape`.
    private static Layer ReverseCopy(ReversibleEmbedding layer, TensorShape hiddenShape)
    {
        SymbolicTensor logits = layer.CallReverse(new Input(hiddenShape));
        return layer.CopyForCall(1, logits.Node);
    }

    [Fact]
    public void SaveLoad_HeadOnlyModelWhoseFirstCallIsReverse_RoundTripsBitForBit()
    {
        // A head reusing a language model's embeddings: its only call of the layer is the reverse one (Keras allows it).
        var (model, embedding) = LanguageModel(false, 3f, vocabulary: 10, dim: 4, steps: 5);
        var hidden = new Input(new TensorShape(5, 4), "hidden");
        var head = new Functional(hidden, embedding.CallReverse(hidden), name: "head");
        string path = Path.Combine(Path.GetTempPath(), $"head-{Guid.NewGuid():N}.safetensors");
        try
        {
            head.Save(path);
            Model loaded = Model.Load(path);

            Tensor states = Tensor.RandomNormal(new TensorShape(3, 5, 4), seed: 8);
            Assert.Equal(head.Predict(states).ToArray(), loaded.Predict(states).ToArray());
            Assert.Equal(model.Layers.OfType<ReversibleEmbedding>().Single().Embeddings.Value.ToArray(),
                loaded.Layers.OfType<ReversibleEmbedding>().Single().Embeddings.Value.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CallReverse_BeforeAnyLookup_BuildsForIdsShapedLikeThePositions()
    {
        var embedding = new ReversibleEmbedding(10, 4, name: "tokens");
        SymbolicTensor logits = embedding.CallReverse(new Input(new TensorShape(6, 4)));

        Assert.True(embedding.IsBuilt);
        Assert.Equal(new TensorShape(6), embedding.InputShapes[0]);
        Assert.Equal(new TensorShape(6, 10), logits.Shape);
        // Later lookups take ids of that shape, as a layer's further calls keep its first call's shapes.
        Assert.Equal(new TensorShape(6, 4), embedding.Call(new Input(new TensorShape(6))).Shape);
    }
}
