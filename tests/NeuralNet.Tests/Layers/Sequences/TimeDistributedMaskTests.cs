using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>
/// Masks through <see cref="TimeDistributed"/>: the wrapped layer gets each step's mask (Keras' <c>mask[:, i]</c>), and the
/// output's mask fits the output: the wrapped layer's mask stacked back, else the time part of the input's mask.
/// </summary>
public class TimeDistributedMaskTests
{
    // Two documents of 4 sentences of 5 word ids, 0 for padding; sentence 2 of document 1 is all padding.
    private static readonly float[] DocumentIds =
    [
        3, 1, 0, 0, 0, /**/ 2, 2, 7, 0, 0, /**/ 9, 0, 0, 0, 0, /**/ 4, 5, 6, 8, 1,
        1, 0, 0, 0, 0, /**/ 6, 3, 0, 0, 0, /**/ 0, 0, 0, 0, 0, /**/ 5, 5, 5, 0, 0,
    ];

    private static Sequential Documents(int seed)
    {
        var model = new Sequential(seed: seed);
        model.Add(new InputLayer(4, 5));
        model.Add(new Embedding(10, 8, maskZero: true));
        model.Add(new TimeDistributed(new GlobalAveragePooling1D()));
        model.Add(new Dense(1));
        return model;
    }

    [Fact]
    public void Predict_EmbeddingMaskIntoPerSentencePooling_AveragesRealWordsAndMasksEmptySentences()
    {
        Sequential model = Documents(seed: 3);
        Tensor ids = Tensor.FromArray(DocumentIds, 2, 4, 5);

        // Used to throw "Dense 'dense' got a mask (2, 4, 5) for input (2, 4, 8)": the (batch, sentences, words) mask was
        // passed on unchanged.
        float[] y = model.Predict(ids).ToArray();

        var embedding = (Embedding)model.Layers.First(l => l is Embedding);
        var dense = (Dense)model.Layers.First(l => l is Dense);
        var distributed = (TimeDistributed)model.Layers.First(l => l is TimeDistributed);
        float[] table = embedding.Embeddings.Value.ToArray(), kernel = dense.Kernel.Value.ToArray();
        float bias = dense.Bias!.Value.ToArray()[0];
        for (int sentence = 0; sentence < 8; sentence++)
        {
            float[] words = DocumentIds[(sentence * 5)..((sentence + 1) * 5)].Where(id => id != 0).ToArray();
            if (words.Length == 0)
            {
                // Keras' masked mean over no real step is 0/0.
                Assert.True(float.IsNaN(y[sentence]), $"sentence {sentence}: {y[sentence]}");
                continue;
            }

            double output = bias;
            for (int f = 0; f < 8; f++)
            {
                double mean = words.Sum(id => (double)table[((int)id * 8) + f]) / words.Length;
                output += mean * kernel[f];
            }

            Assert.True(Math.Abs(output - y[sentence]) <= 1e-5, $"sentence {sentence}: {y[sentence]}, masked mean gives {output}.");
        }

        // A sentence is real when any of its words is.
        Assert.Equal([1f, 1, 1, 1, 1, 1, 0, 1], distributed.OutputMask!.ToArray());
        Assert.Equal(new TensorShape(2, 4), distributed.OutputMask.Shape);
    }

    [Fact]
    public void Fit_DocumentModelWithPerSentencePooling_TrainsAndRepeatsBitForBit()
    {
        float[] ids = [.. DocumentIds.Select((id, i) => i is >= 30 and < 35 ? 4f : id)];
        Tensor x = Tensor.FromArray(ids, 2, 4, 5), y = Tensor.FromArray([1, 0, 1, 0, 0, 1, 1, 0], 2, 4, 1);

        float[] Train()
        {
            Sequential model = Documents(seed: 7);
            model.Compile(new Adam(0.01f), new MeanSquaredError());
            model.Fit(x, y, epochs: 3, batchSize: 2, verbose: 0);
            return [.. model.Parameters.SelectMany(p => p.Value.ToArray())];
        }

        float[] first = Train();
        Assert.All(first, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(first, Train());
    }

    [Fact]
    public void OutputMask_DenseOnATimeMask_IsTheInputMaskItself()
    {
        var layer = new TimeDistributed(new Dense(3)) { Seed = 1 };
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 3, 4), 2);
        Tensor mask = Tensor.FromArray([1, 1, 0, 1, 0, 0], 2, 3);

        layer.Forward(input, mask, training: false);

        Assert.Same(mask, layer.OutputMask);
        Assert.Equal(mask.ToArray(), layer.InnerLayer.OutputMask!.ToArray());
        layer.Forward(input, training: false);
        Assert.Null(layer.OutputMask);
    }

    [Fact]
    public void OutputMask_InnerEmbeddingWithMaskZero_IsItsMaskStackedPerStep()
    {
        var layer = new TimeDistributed(new Embedding(10, 4, maskZero: true)) { Seed = 1 };
        Tensor ids = Tensor.FromArray(DocumentIds, 2, 4, 5);

        Tensor output = layer.Forward(ids, training: false);

        Assert.Equal(new TensorShape(2, 4, 5, 4), output.Shape);
        Assert.Equal(new TensorShape(2, 4, 5), layer.OutputMask!.Shape);
        Assert.Equal(DocumentIds.Select(id => id != 0 ? 1f : 0f).ToArray(), layer.OutputMask.ToArray());
    }

    [Fact]
    public void Forward_InnerLstmOnWordMasks_EqualsEachSentenceRunWithItsOwnMask()
    {
        var layer = new TimeDistributed(new Lstm(3)) { Seed = 5 };
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 5, 2), 6);
        Tensor mask = Tensor.FromArray(DocumentIds.Select(id => id != 0 ? 1f : 0f).ToArray(), 2, 4, 5);

        float[] output = layer.Forward(input, mask, training: false).ToArray();

        float[] x = input.ToArray(), m = mask.ToArray();
        for (int sentence = 0; sentence < 8; sentence++)
        {
            Tensor words = Tensor.FromArray(x[(sentence * 10)..((sentence + 1) * 10)], 1, 5, 2);
            Tensor wordMask = Tensor.FromArray(m[(sentence * 5)..((sentence + 1) * 5)], 1, 5);
            float[] expected = layer.InnerLayer.Forward(words, wordMask, training: false).ToArray();
            Assert.Equal(expected, output[(sentence * 3)..((sentence + 1) * 3)], new Tolerance(1e-6f));
        }

        // The Lstm returns no sequence and so no mask: the time part of the input's mask (sentence 6 is all padding).
        layer.Forward(input, mask, training: false);
        Assert.Equal([1f, 1, 1, 1, 1, 1, 0, 1], layer.OutputMask!.ToArray());
        GradientChecker.CheckLayer(layer, input, seed: 7, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void OutputMask_InnerLayerDropsTheMask_IsTheTimePartRepeatedOverTheOutputPositions()
    {
        // Conv1D drops its input's mask (as in Keras): the output (2, 4, 5, 2) keeps the sentence mask on every position.
        var layer = new TimeDistributed(new Conv1D(2, 2, padding: Padding.Same)) { Seed = 2 };
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 5, 3), 3);
        Tensor mask = Tensor.FromArray(DocumentIds.Select(id => id != 0 ? 1f : 0f).ToArray(), 2, 4, 5);

        layer.Forward(input, mask, training: false);

        float[] sentences = [1, 1, 1, 1, 1, 1, 0, 1];
        Assert.Equal(new TensorShape(2, 4, 5), layer.OutputMask!.Shape);
        Assert.Equal(sentences.SelectMany(s => Enumerable.Repeat(s, 5)).ToArray(), layer.OutputMask.ToArray());
        Assert.Null(layer.InnerLayer.OutputMask);
    }

    [Fact]
    public void Backward_PerSentencePoolingWithWordMasks_MatchesNumericalGradient()
    {
        var layer = new TimeDistributed(new GlobalAveragePooling1D());
        float[] ids = [.. DocumentIds.Select((id, i) => i is >= 30 and < 35 ? 4f : id)];
        Tensor mask = Tensor.FromArray([.. ids.Select(id => id != 0 ? 1f : 0f)], 2, 4, 5);
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 5, 3), 8);

        GradientChecker.CheckLayer(layer, input, seed: 9, mask: mask).AssertPassed(maxKinkFraction: 0);

        // Padded words get no gradient: they are not part of any mean.
        Tensor dx = layer.Backward(Tensor.RandomNormal(new TensorShape(2, 4, 3), 10));
        float[] g = dx.ToArray();
        for (int word = 0; word < ids.Length; word++)
        {
            Assert.True(ids[word] != 0 || g.AsSpan(word * 3, 3).ToArray().All(v => v == 0f), $"word {word} is padding but has gradient.");
        }
    }

    [Fact]
    public void A_masked_step_through_per_sentence_pooling_allocates_nothing_after_the_first_batch()
    {
        var masking = new Masking();
        var layer = new TimeDistributed(new GlobalAveragePooling1D());
        float[] values = [.. Enumerable.Range(0, 4 * 3 * 5 * 2).Select(i => (i / 2) % 4 == 1 ? 0f : (i % 7) - 3f)];
        Tensor input = Tensor.FromArray(values, 4, 3, 5, 2);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(4, 3, 2), 4);

        void Step()
        {
            Tensor masked = masking.Forward(input, training: true);
            layer.Forward(masked, masking.OutputMask, training: true);
            masking.Backward(layer.Backward(upstream));
        }

        Step();
        Assert.NotNull(layer.OutputMask);
        AllocationCheck.AssertNone(Step);
    }

    [Fact]
    public void Predict_WrappedFlattenOfSizeOneAxis_HandsOnOneFlagPerStep()
    {
        // (5, 1, 3) -> TimeDistributed(Flatten) -> (5, 3): the input's mask (5, 1) must become (5,), which the LSTM reads.
        var x = new Input(new TensorShape(5, 1, 3), "x");
        var lstm = new Lstm(2, name: "lstm");
        var model = new Functional(x, lstm.Call(new TimeDistributed(new Flatten()).Call(new Masking().Call(x))), seed: 5);
        var plain = new Input(new TensorShape(5, 3), "plain");
        var reference = new Functional(plain, new Lstm(2, name: "lstm").Call(new Masking().Call(plain)), seed: 6);
        reference.SetWeights(model.GetWeights());
        Tensor values = Tensor.RandomNormal(new TensorShape(2, 5, 3), 7);
        values.AsSpan()[..6].Clear();

        Tensor output = model.Predict(values.Reshape(2, 5, 1, 3));

        Assert.Equal(reference.Predict(values).ToArray(), output.ToArray());
    }

    [Fact]
    public void Predict_WrappedReshapeAddingSizeOneAxis_HandsOnAMaskOfTheOutputsShape()
    {
        // (5, 4) -> TimeDistributed(Reshape(1, 4)) -> (5, 1, 4): the output's mask is (5, 1), the time part over it.
        var x = new Input(new TensorShape(5, 4), "x");
        var wrapper = new TimeDistributed(new Reshape(1, 4));
        var model = new Functional(x, new TimeDistributed(new Lstm(3)).Call(wrapper.Call(new Masking().Call(x))), seed: 8);
        Tensor values = Tensor.RandomNormal(new TensorShape(2, 5, 4), 9);
        values.AsSpan()[4..8].Clear();

        model.Predict(values);

        Assert.Equal(new TensorShape(2, 5, 1), wrapper.OutputMask!.Shape);
        Assert.Equal([1f, 0f, 1f, 1f, 1f], wrapper.OutputMask.ToArray()[..5]);
    }
}
