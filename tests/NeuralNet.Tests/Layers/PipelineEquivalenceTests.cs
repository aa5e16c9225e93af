using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Keras' Pipeline.call is its layers called in turn (keras/src/layers/preprocessing/pipeline.py), each through __call__
// with the mask the one before left: a model with a pipeline must train exactly as the model with the same layers in its
// place, through the fused softmax + cross-entropy, the masked loss and the activity regularizers alike.
public class PipelineEquivalenceTests
{
    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    // Gives plain the weights of piped, parameter by parameter (both list their layers' parameters in the same order).
    private static void CopyWeights(Model piped, Model plain)
    {
        Assert.Equal(piped.Parameters.Select(p => p.Shape), plain.Parameters.Select(p => p.Shape));
        for (int i = 0; i < piped.Parameters.Count; i++)
        {
            piped.Parameters[i].Value.AsReadOnlySpan().CopyTo(plain.Parameters[i].Value.AsSpan());
        }
    }

    // Trains both for two epochs; their losses and final weights must be the same bits.
    private static History AssertTrainsAlike(Model piped, Model plain, Loss pipedLoss, Loss plainLoss, Tensor x, Tensor y)
    {
        CopyWeights(piped, plain);
        piped.Compile(new Sgd(0.1f), pipedLoss);
        plain.Compile(new Sgd(0.1f), plainLoss);

        History a = piped.Fit(x, y, epochs: 2, batchSize: 3, shuffle: false, verbose: 0);
        History b = plain.Fit(x, y, epochs: 2, batchSize: 3, shuffle: false, verbose: 0);

        Assert.Equal(b["loss"], a["loss"]);
        Assert.Equal(plain.Parameters.Select(p => Bits(p.Value)), piped.Parameters.Select(p => Bits(p.Value)));
        return a;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void Fit_PipelineEndingInSoftmaxWithCrossEntropy_EqualsTheLayersOutsideBitForBit(int layers)
    {
        Layer[] Make() => layers == 2 ? [new Dense(5, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)] : [new Dense(3, ActivationFunction.Softmax)];
        var piped = new Sequential([new InputLayer(4), new Pipeline(Make())], seed: 1);
        var plain = new Sequential([new InputLayer(4), .. Make()], seed: 2);
        Assert.True(piped.Layers[^1].EndsWithSoftmax);
        Tensor x = TestData.Normal(3, 1f, 9, 4);
        Tensor y = new(new TensorShape(9, 3));
        for (int n = 0; n < 9; n++)
        {
            y.AsSpan()[(n * 3) + (n % 3)] = 1f;
        }

        AssertTrainsAlike(piped, plain, new CategoricalCrossEntropy(), new CategoricalCrossEntropy(), x, y);
    }

    [Fact]
    public void Fit_MaskedSequencesThroughAPipeline_TheLossIsMaskedAsWithTheLayersOutside()
    {
        Tensor tokens = Tensor.FromArray([1f, 2f, 0f, 0f, 0f, 3f, 4f, 5f, 6f, 0f, 7f, 0f, 0f, 0f, 0f], 3, 5);
        Tensor y = TestData.Normal(4, 1f, 3, 5, 2);
        Sequential Piped(bool maskZero) => new([new InputLayer(5), new Embedding(10, 4, maskZero: maskZero), new Pipeline([new Dense(3, ActivationFunction.Relu), new Dense(2)])], seed: 2);
        var plain = new Sequential([new InputLayer(5), new Embedding(10, 4, maskZero: true), new Dense(3, ActivationFunction.Relu), new Dense(2)], seed: 3);

        History masked = AssertTrainsAlike(Piped(maskZero: true), plain, new MeanSquaredError(), new MeanSquaredError(), tokens, y);

        // The mask changes the loss: the same weights without it give another one.
        Sequential unmasked = Piped(maskZero: false), reference = Piped(maskZero: true);
        CopyWeights(reference, unmasked);
        unmasked.Compile(new Sgd(0.1f), new MeanSquaredError());
        History without = unmasked.Fit(tokens, y, epochs: 1, batchSize: 3, shuffle: false, verbose: 0);
        Assert.NotEqual(masked["loss"][0], without["loss"][0]);
    }

    [Fact]
    public void Fit_ActivityRegularizerOnALayerInside_CountsAsOutside()
    {
        Tensor x = TestData.Normal(5, 1f, 6, 4), y = TestData.Normal(6, 1f, 6, 2);
        var piped = new Sequential([new InputLayer(4), new Pipeline([new Dense(3) { ActivityRegularizer = new L2(0.5) }, new Dense(2)])], seed: 1);
        var plain = new Sequential([new InputLayer(4), new Dense(3) { ActivityRegularizer = new L2(0.5) }, new Dense(2)], seed: 2);

        History regularized = AssertTrainsAlike(piped, plain, new MeanSquaredError(), new MeanSquaredError(), x, y);

        var bare = new Sequential([new InputLayer(4), new Pipeline([new Dense(3), new Dense(2)])], seed: 1);
        bare.Compile(new Sgd(0.1f), new MeanSquaredError());
        History without = bare.Fit(x, y, epochs: 1, batchSize: 3, shuffle: false, verbose: 0);
        Assert.True(regularized["loss"][0] > without["loss"][0], $"{regularized["loss"][0]} vs {without["loss"][0]}");
    }

    [Fact]
    public void Predict_FromEightThreads_EqualsSingleThreaded()
    {
        var model = new Sequential(
            [new InputLayer(6, 6, 3), new Pipeline([new RandomFlip(seed: 1), new Conv2D(2, 3, activation: ActivationFunction.Relu), new Flatten(), new Dense(4)]), new Dense(2)], seed: 4);
        Tensor[] inputs = [.. Enumerable.Range(0, 8).Select(i => TestData.Normal(10 + i, 1f, 5, 6, 6, 3))];
        int[][] expected = [.. inputs.Select(x => Bits(model.Predict(x)))];

        var seen = new int[8][][];
        using var start = new Barrier(8);
        Thread[] threads = [.. Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            seen[t] = [.. Enumerable.Range(0, 20).Select(k => Bits(model.Predict(inputs[(t + k) % 8])))];
        }))];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        for (int t = 0; t < 8; t++)
        {
            for (int k = 0; k < 20; k++)
            {
                Assert.Equal(expected[(t + k) % 8], seen[t][k]);
            }
        }
    }
}
