using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.Tests.Models;

// Keras' Input(shape=(None, ...)): a model whose inputs have variable axes runs batches of any length on them, with the
// results of a model built for that length and given the same weights.
public class VariableAxesTests
{
    private const int Features = 3;

    // A recurrent stack and a convolutional one; `length` null for the variable model, else a fixed one.
    private static Functional Recurrent(int? length, long seed = 5)
    {
        var x = length is int n ? new Input(new TensorShape(n, Features), "x") : new Input([null, Features], "x");
        SymbolicTensor sequence = new Lstm(4, returnSequences: true, name: "lstm").Call(x);
        SymbolicTensor last = new Gru(5, name: "gru").Call(sequence);
        SymbolicTensor y = new Dense(2, ActivationFunction.Softmax, name: "out").Call(last);
        return new Functional(x, y, name: "recurrent", seed: seed);
    }

    private static Functional Convolutional(int? length, long seed = 6)
    {
        var x = length is int n ? new Input(new TensorShape(n, Features), "x") : new Input([null, Features], "x");
        SymbolicTensor h = new Conv1D(6, 3, strides: 2, activation: ActivationFunction.Relu, name: "conv").Call(x);
        SymbolicTensor pooled = new GlobalAveragePooling1D(name: "pool").Call(h);
        SymbolicTensor y = new Dense(2, ActivationFunction.Softmax, name: "out").Call(pooled);
        return new Functional(x, y, name: "convolutional", seed: seed);
    }

    // Two rounds of steps over the batches (each length met, then met again), then a third that must allocate nothing.
    private static void AssertWarmStepsAllocateNothing(Model model, (Tensor X, Tensor Y)[] batches)
    {
        void Steps()
        {
            foreach ((Tensor x, Tensor y) in batches)
            {
                model.TrainStep(x, y);
            }
        }

        Steps();
        Steps();

        AllocationCheck.AssertNone(Steps);
    }

    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    private static Tensor Targets(int samples, long seed)
    {
        var y = new Tensor(samples, 2);
        for (int i = 0; i < samples; i++)
        {
            y[i, (int)((i + seed) % 2)] = 1f;
        }

        return y;
    }

    [Fact]
    public void SymbolicShapes_MarkTheAxesThatFollowTheInputLength_AsKerasNone()
    {
        var x = new Input([null, Features], "x");
        SymbolicTensor sequence = new Lstm(4, returnSequences: true).Call(x);
        SymbolicTensor strided = new Conv1D(2, 3, strides: 2).Call(sequence);
        SymbolicTensor pooled = new GlobalMaxPooling1D().Call(strided);

        Assert.Equal([0], x.VariableAxes);
        Assert.Equal([0], x.Layer.VariableAxes);
        Assert.Equal(new TensorShape(InputLayer.NominalLength, Features), x.Shape);
        Assert.Equal([0], sequence.VariableAxes);
        Assert.Equal([0], strided.VariableAxes);
        Assert.Empty(pooled.VariableAxes);
        Assert.StartsWith("SymbolicTensor (None, None, 2) from", strided.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("SymbolicTensor (None, 2) from", pooled.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(InputLayer.NominalLength)]
    [InlineData(150)]
    public void Predict_AnyLength_GivesTheBitsOfAModelBuiltForThatLength(int length)
    {
        foreach ((Functional variable, Functional fixedLength) in new[] { (Recurrent(null), Recurrent(length)), (Convolutional(null), Convolutional(Math.Max(length, 3))) })
        {
            int n = fixedLength.Inputs[0].Shape[0];
            fixedLength.SetWeights(variable.GetWeights());
            Tensor x = TestData.Normal(n, 1f, 5, n, Features);

            Assert.Equal(Bits(fixedLength.Predict(x)), Bits(variable.Predict(x)));
        }
    }

    [Fact]
    public void Fit_OnOneLength_TakesTheStepsOfAModelBuiltForIt()
    {
        const int length = 10;
        Functional variable = Recurrent(null), fixedLength = Recurrent(length);
        Assert.Equal(variable.GetWeights().Select(Bits), fixedLength.GetWeights().Select(Bits));
        Tensor x = TestData.Normal(11, 1f, 24, length, Features);
        Tensor y = Targets(24, 0);
        foreach (Functional model in new[] { variable, fixedLength })
        {
            model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
            model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, seed: 3);
        }

        Assert.Equal(fixedLength.GetWeights().Select(Bits), variable.GetWeights().Select(Bits));
        Assert.Equal(fixedLength.Evaluate(x, y, verbose: 0)["loss"], variable.Evaluate(x, y, verbose: 0)["loss"]);
    }

    [Fact]
    public void Fit_BatchesOfDifferentLengths_IsReproducible_AndEachBatchStepsAsItsFixedModel()
    {
        int[] lengths = [4, 9, 4, 6];
        DataBatch[] Batches() => [.. lengths.Select((n, b) => new DataBatch(TestData.Normal(20 + b, 1f, 6, n, Features), Targets(6, b)))];

        int[][] Train()
        {
            Functional model = Recurrent(null);
            model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
            model.Fit(Batches(), epochs: 2, verbose: 0);
            return [.. model.GetWeights().Select(Bits)];
        }

        Assert.Equal(Train(), Train());

        // One SGD step on each batch in turn, on models built for each batch's length that carry the weights along.
        IReadOnlyList<Tensor> weights = Recurrent(null).GetWeights();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            foreach (DataBatch batch in Batches())
            {
                Functional step = Recurrent(batch.X.Single().Shape[1]);
                step.SetWeights(weights);
                step.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
                step.TrainOnBatch(batch.X, batch.Y);
                weights = step.GetWeights();
            }
        }

        Assert.Equal(Train(), weights.Select(Bits));
    }

    [Fact]
    public void TrainStep_AtALengthSeenBefore_AllocatesNothing()
    {
        Functional model = Recurrent(null);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        Tensor x = TestData.Normal(30, 1f, 8, 12, Features);
        Tensor y = Targets(8, 1);
        model.TrainStep(x, y);
        model.TrainStep(x, y);

        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }

    [Fact]
    public void EmbeddingMaskAndLstm_OnTokenIdsOfAnyLength_MatchTheFixedModel()
    {
        Functional Build(int? length)
        {
            var tokens = length is int n ? new Input(new TensorShape(n), "tokens") : new Input([null], "tokens");
            SymbolicTensor embedded = new Embedding(10, 4, maskZero: true, name: "embedding").Call(tokens);
            SymbolicTensor y = new Dense(1, name: "out").Call(new Lstm(3, name: "lstm").Call(embedded));
            return new Functional(tokens, y, seed: 8);
        }

        Functional variable = Build(null), fixedLength = Build(5);
        fixedLength.SetWeights(variable.GetWeights());
        Tensor ids = Tensor.FromArray([3, 1, 4, 0, 0, 2, 7, 1, 8, 0], 2, 5);

        Assert.Equal(Bits(fixedLength.Predict(ids)), Bits(variable.Predict(ids)));
    }

    [Fact]
    public void ConcurrentPredictions_OfDifferentLengths_EqualSingleThreadedOnes()
    {
        Functional model = Recurrent(null);
        Tensor[] inputs = [.. Enumerable.Range(0, 8).Select(i => TestData.Normal(40 + i, 1f, 3, 3 + (i % 4), Features))];
        int[][] expected = [.. inputs.Select(x => Bits(model.Predict(x)))];
        var results = new int[inputs.Length][];
        Parallel.For(0, inputs.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int k = i % inputs.Length;
            int[] bits = Bits(model.Predict(inputs[k]));
            lock (results)
            {
                results[k] = bits;
            }
        });

        Assert.Equal(expected, results);
    }

    [Fact]
    public void SaveAndLoad_KeepsTheVariableAxes_AsKerasNullLengths()
    {
        Functional model = Recurrent(null);
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "variable.safetensors");
        model.Save(path);

        Functional loaded = Functional.Load(path);
        Tensor x = TestData.Normal(50, 1f, 2, 11, Features);

        Assert.Equal([0], loaded.Inputs[0].VariableAxes);
        Assert.Contains("\"batch_shape\":[null,null,3]", model.Inputs[0].Layer.GetConfig().ToJson().Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(Bits(model.Predict(x)), Bits(loaded.Predict(x)));
    }

    [Fact]
    public void Summary_ShowsNoneOnTheVariableAxes()
    {
        string summary = Recurrent(null).Summary();

        Assert.Contains("(None, None, 3)", summary, StringComparison.Ordinal);
        Assert.Contains("(None, None, 4)", summary, StringComparison.Ordinal);
        Assert.Contains("(None, 5)", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerWhoseWeightsDependOnTheLength_IsRefusedWhenCalled_AndLeftUnbuilt()
    {
        var x = new Input([null, Features], "x");
        SymbolicTensor flat = new Flatten(name: "flatten").Call(x);
        var dense = new Dense(2, name: "head");

        var ex = Assert.Throws<ArgumentException>(() => dense.Call(flat));

        Assert.Contains("head", ex.Message, StringComparison.Ordinal);
        Assert.Contains("variable", ex.Message, StringComparison.Ordinal);
        Assert.Contains("kernel", ex.Message, StringComparison.Ordinal);
        Assert.False(dense.IsBuilt);
    }

    [Fact]
    public void Predict_WithAnotherLengthOnAFixedAxis_NamesTheInputAndTheShapes()
    {
        Functional model = Recurrent(null);

        var ex = Assert.Throws<ArgumentException>(() => model.Predict(new Tensor(2, 7, Features + 1)));

        Assert.Contains("'x'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(None, None, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 7, 4)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelWithVariableAxes_UsedAsALayerOnAVariableInput_PredictsAsItself()
    {
        Functional inner = Recurrent(null);
        var x = new Input([null, Features], "outer_x");
        var outer = new Functional(x, inner.Call(x), name: "outer");
        Tensor data = TestData.Normal(60, 1f, 2, 9, Features);

        Assert.Equal(Bits(inner.Predict(data)), Bits(outer.Predict(data)));
    }

    // x (None, 3) -> LSTM(4, sequences) -> TimeDistributed(Dense(2)): one output per step, so the targets vary too.
    private static Functional Tagger(int? length)
    {
        var x = length is int n ? new Input(new TensorShape(n, Features), "x") : new Input([null, Features], "x");
        SymbolicTensor h = new Lstm(4, returnSequences: true, name: "lstm").Call(x);
        return new Functional(x, new TimeDistributed(new Dense(2), name: "tags").Call(h), name: "tagger", seed: 12);
    }

    [Fact]
    public void Fit_SequenceOutputs_TargetsOfEachBatchsLength_StepAsTheFixedModels()
    {
        int[] lengths = [5, 2, 8];
        DataBatch[] Batches() => [.. lengths.Select((n, b) => new DataBatch(TestData.Normal(70 + b, 1f, 4, n, Features), TestData.Normal(80 + b, 1f, 4, n, 2)))];
        Functional variable = Tagger(null);
        Assert.Equal([0], variable.Outputs[0].VariableAxes);
        variable.Compile(new Sgd(0.05f), new MeanSquaredError());
        variable.Fit(Batches(), epochs: 1, verbose: 0);

        IReadOnlyList<Tensor> weights = Tagger(null).GetWeights();
        foreach (DataBatch batch in Batches())
        {
            Functional step = Tagger(batch.X.Single().Shape[1]);
            step.SetWeights(weights);
            step.Compile(new Sgd(0.05f), new MeanSquaredError());
            step.TrainOnBatch(batch.X, batch.Y);
            weights = step.GetWeights();
        }

        Assert.Equal(weights.Select(Bits), variable.GetWeights().Select(Bits));
    }

    [Fact]
    public void TrainSteps_AlternatingBetweenLengthsSeenBefore_AllocateNothing()
    {
        Functional model = Tagger(null);
        model.Compile(new Adam(), new MeanSquaredError());
        (Tensor X, Tensor Y)[] batches = [.. new[] { 6, 11, 3 }.Select(n => (TestData.Normal(n, 1f, 8, n, Features), TestData.Normal(n + 1, 1f, 8, n, 2)))];
        AssertWarmStepsAllocateNothing(model, batches);
    }

    [Fact]
    public void LayerThatCannotTakeTheNominalLength_SaysTheVariableAxesHoldIt()
    {
        var x = new Input([null, Features], "x");
        var conv = new Conv1D(2, InputLayer.NominalLength + 1, name: "wide");

        var ex = Assert.Throws<ArgumentException>(() => conv.Call(x));

        Assert.Contains("wide", ex.Message, StringComparison.Ordinal);
        Assert.Contains("NominalLength, 64", ex.Message, StringComparison.Ordinal);
        Assert.False(conv.IsBuilt);
    }

    [Fact]
    public void TiedLanguageModel_OnTokensOfAnyLength_MatchesTheFixedModel()
    {
        // ids (None,) -> ReversibleEmbedding -> LSTM(sequences) -> the embedding's reverse call: logits (None, None, 12).
        Functional Build(int? length)
        {
            var ids = length is int n ? new Input(new TensorShape(n), "ids") : new Input([null], "ids");
            var embedding = new ReversibleEmbedding(12, 4, logitSoftCap: 3f, name: "tokens");
            SymbolicTensor h = new Lstm(4, returnSequences: true, name: "lstm").Call(embedding.Call(ids));
            return new Functional(ids, embedding.CallReverse(h), seed: 14);
        }

        Functional variable = Build(null), fixedLength = Build(6);
        fixedLength.SetWeights(variable.GetWeights());
        Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, 12).Select(i => (float)((i * 5) % 12))], 2, 6);

        Assert.Equal([0], variable.Outputs[0].VariableAxes);
        Assert.Equal(Bits(fixedLength.Predict(ids)), Bits(variable.Predict(ids)));
    }

    [Fact]
    public void Dropout_DrawsOneStreamWhateverTheLengths_AsAFixedModelOfOneLength()
    {
        Functional Build(int? length)
        {
            var x = length is int n ? new Input(new TensorShape(n, Features), "x") : new Input([null, Features], "x");
            return new Functional(x, new Dropout(0.5, name: "drop").Call(x), seed: 15);
        }

        Functional variable = Build(null), fixedLength = Build(10);
        Tensor x10 = TestData.Normal(90, 1f, 2, 10, Features);
        int[][] fixedMasks = [.. Enumerable.Range(0, 3).Select(_ => Bits(fixedLength.Forward(x10, training: true)[0]))];

        int[] first = Bits(variable.Forward(x10, training: true)[0]);
        int[] second = Bits(variable.Forward(x10, training: true)[0]);
        for (int n = 1; n <= GraphExecutor.MaxVariants + 1; n++)
        {
            variable.Forward(new Tensor(2, 10 + n, Features), training: true);
        }

        int[] afterOthers = Bits(variable.Forward(x10, training: true)[0]);

        Assert.Equal(fixedMasks[0], first);
        Assert.Equal(fixedMasks[1], second);
        Assert.NotEqual(first, afterOthers);
        Assert.NotEqual(fixedMasks[2], afterOthers);
    }

    [Fact]
    public void TwoVariableAxes_ShapesOfOneSize_EachTrainWithItsOwnBuffers()
    {
        var x = new Input([null, null, 1], "image");
        var model = new Functional(x, new Conv2D(2, 1, name: "conv").Call(x), seed: 16);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());

        model.TrainStep(TestData.Normal(1, 1f, 4, 2, 3, 1), TestData.Normal(2, 1f, 4, 2, 3, 2));
        model.TrainStep(TestData.Normal(3, 1f, 4, 3, 2, 1), TestData.Normal(4, 1f, 4, 3, 2, 2));

        Assert.Equal([0, 1], model.Outputs[0].VariableAxes);
    }

    [Fact]
    public void PredictIntoDestination_AtALengthSeenBefore_AllocatesNothing()
    {
        Functional model = Recurrent(null);
        Tensor x = TestData.Normal(91, 1f, 3, 12, Features);
        var destination = new Tensor(3, 2);
        model.Predict(x, destination);
        model.Predict(x, destination);

        AllocationCheck.AssertNone(() => model.Predict(x, destination));
        Assert.Equal(Bits(model.Predict(x)), Bits(destination));
    }

    [Fact]
    public void MaskedSequenceOutputs_TrainStepsAlternatingBetweenLengths_AllocateNothing()
    {
        var ids = new Input([null], "ids");
        SymbolicTensor h = new Lstm(3, returnSequences: true).Call(new Embedding(9, 4, maskZero: true).Call(ids));
        var model = new Functional(ids, new TimeDistributed(new Dense(2)).Call(h), seed: 17);
        model.Compile(new Adam(), new MeanSquaredError());
        (Tensor X, Tensor Y)[] batches = [.. new[] { 5, 7 }.Select(n => (Tensor.FromArray([.. Enumerable.Range(0, 4 * n).Select(i => (float)(i % 3 == 0 ? 0 : (i % 8) + 1))], 4, n), TestData.Normal(n, 1f, 4, n, 2)))];
        AssertWarmStepsAllocateNothing(model, batches);
    }

    [Fact]
    public void SequentialAddOfAVariableModel_KeepsItsVariableAxes()
    {
        Functional inner = Recurrent(null);
        var outer = new Sequential(name: "outer");
        outer.Add(inner);
        Tensor x = TestData.Normal(92, 1f, 2, 7, Features);

        Assert.Equal([0], outer.Inputs[0].VariableAxes);
        Assert.Equal(Bits(inner.Predict(x)), Bits(outer.Predict(x)));
    }

    [Fact]
    public void VariableModel_CalledOnAFixedLength_IsRefusedSayingVariableAxesMeetVariableAxes()
    {
        Functional inner = Recurrent(null);

        var ex = Assert.Throws<ArgumentException>(() => inner.Call(new Input(new TensorShape(50, Features), "fixed")));

        Assert.Contains("(None, None, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 50, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("variable axes", ex.Message, StringComparison.Ordinal);
    }

    // Session 43: a stateful SimpleRnn, Lstm, Gru or Rnn takes a variable number of steps (StatefulVariableStepsTests);
    // a stateful Bidirectional does not. A stateful layer after the variable axes are gone runs on a copy per input
    // length, and those copies continue one set of states.
    [Fact]
    public void StatefulLayer_AfterAVariableAxis_CarriesItsStatesAcrossInputLengths()
    {
        var y = new Input([null, Features], "y");
        SymbolicTensor pooled = new Reshape([1, Features]).Call(new GlobalAveragePooling1D().Call(y));
        var later = new Lstm(2, name: "later") { Stateful = true };
        var model = new Functional(y, later.Call(pooled), seed: 3);
        Tensor shortBatch = Tensor.FromArray([.. Enumerable.Range(0, 2 * 4 * Features).Select(i => (i % 7) / 7f)], 2, 4, Features);
        Tensor longBatch = Tensor.FromArray([.. Enumerable.Range(0, 2 * 9 * Features).Select(i => (i % 5) / 5f)], 2, 9, Features);

        model.PredictOnBatch(shortBatch);
        float[] continued = model.PredictOnBatch(longBatch).ToArray();
        model.ResetStates();
        float[] fromZeros = model.PredictOnBatch(longBatch).ToArray();

        Assert.NotEqual(fromZeros, continued);
        Assert.Equal(2, later.CarriedStates.Length);
    }
}
