using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Training;

public class SampleWeightTests
{
    private static Sequential Softmax(Optimizer optimizer, Loss? loss = null, long seed = 4)
    {
        var model = new Sequential([new InputLayer(6), new Dense(5, ActivationFunction.Tanh), new Dense(3, ActivationFunction.Softmax)], seed: seed);
        model.Compile(optimizer, loss ?? new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    private static Tensor Weights(int samples, long seed)
    {
        var random = new Random((int)seed);
        return Tensor.FromArray([.. Enumerable.Range(0, samples).Select(_ => (float)(random.NextDouble() * 3))], samples);
    }

    [Fact]
    public void Evaluate_SampleWeights_EqualsTheHandWeightedLoss()
    {
        var (x, y) = Classification(13, 6, 3, seed: 41);
        var model = Softmax(new Sgd());
        Tensor w = Weights(13, 42);
        Tensor p = model.Predict(x);
        double sum = 0;
        for (int i = 0; i < 13; i++)
        {
            double sample = 0;
            for (int c = 0; c < 3; c++)
            {
                sample -= y[i, c] * Math.Log(Math.Clamp(p[i, c], 1e-7, 1 - 1e-7));
            }

            sum += w[i] * sample;
        }

        // Keras' sum_over_batch_size: the weighted sum over the batch divided by its size, batch by batch (sizes 5, 5, 3).
        double loss = model.Evaluate(x, y, batchSize: 5, verbose: 0, sampleWeight: w)["loss"];
        Assert.Equal(sum / 13, loss, 5);
        Assert.NotEqual(model.Evaluate(x, y, batchSize: 5, verbose: 0)["loss"], loss, 3);
    }

    [Fact]
    public void Fit_EveryWeightTwo_EqualsTwiceTheLearningRateBitForBit()
    {
        var (x, y) = Classification(40, 6, 3, seed: 43);
        var weighted = Softmax(new Sgd(0.1f));
        History a = weighted.Fit(x, y, epochs: 3, batchSize: 8, verbose: 0, sampleWeight: Tensor.FromArray([.. Enumerable.Repeat(2f, 40)], 40));
        var doubled = Softmax(new Sgd(0.2f));
        History b = doubled.Fit(x, y, epochs: 3, batchSize: 8, verbose: 0);

        AssertSameWeights(doubled, weighted);
        Assert.Equal(2 * b["loss"][0], a["loss"][0], 6);
        Assert.Equal(b["accuracy"], a["accuracy"]);
    }

    [Fact]
    public void Fit_ClassWeight_EqualsTheSampleWeightsOfEachSamplesClass()
    {
        var (x, y) = Classification(40, 6, 3, seed: 44);
        float[] perClass = [1f, 3f, 0.5f];
        var byHand = new float[40];
        for (int i = 0; i < 40; i++)
        {
            byHand[i] = perClass[y[i, 0] == 1 ? 0 : y[i, 1] == 1 ? 1 : 2];
        }

        var fromClasses = Softmax(new Adam(0.01f));
        fromClasses.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, classWeight: new Dictionary<int, float> { [0] = 1f, [1] = 3f, [2] = 0.5f });
        var fromArray = Softmax(new Adam(0.01f));
        fromArray.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, classWeight: perClass);
        var fromSamples = Softmax(new Adam(0.01f));
        fromSamples.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, sampleWeight: Tensor.FromArray(byHand, 40));

        AssertSameWeights(fromSamples, fromClasses);
        AssertSameWeights(fromSamples, fromArray);
    }

    [Fact]
    public void Fit_ClassWeightWithSparseAndBinaryTargets_UsesTheLabel()
    {
        var (x, y) = Classification(24, 6, 3, seed: 45);
        var labels = new Tensor(24);
        var binary = new Tensor(24, 1);
        for (int i = 0; i < 24; i++)
        {
            labels.AsSpan()[i] = y[i, 1] == 1 ? 1 : y[i, 2] == 1 ? 2 : 0;
            binary.AsSpan()[i] = y[i, 0] == 1 ? 1 : 0;
        }

        var sparse = Softmax(new Sgd(0.1f), new SparseCategoricalCrossEntropy());
        sparse.Fit(x, labels, epochs: 1, batchSize: 8, verbose: 0, classWeight: new float[] { 2f, 1f, 0f });
        var oneHot = Softmax(new Sgd(0.1f));
        oneHot.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, classWeight: new float[] { 2f, 1f, 0f });
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(oneHot.GetWeights()[i].ToArray(), sparse.GetWeights()[i].ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        }

        var logistic = new Sequential([new InputLayer(6), new Dense(1, ActivationFunction.Sigmoid)], seed: 2);
        logistic.Compile(new Sgd(0.5f), new BinaryCrossEntropy());
        History h = logistic.Fit(x, binary, epochs: 1, batchSize: 24, verbose: 0, classWeight: new Dictionary<int, float> { [1] = 0f });
        // Only class 0 counts: the loss is the class-0 samples' share of the unweighted per-sample losses.
        Assert.True(h["loss"][0] > 0);
    }

    [Fact]
    public void Fit_ValidationSplit_KeepsTheHeldOutWeights()
    {
        var (x, y) = Classification(30, 6, 3, seed: 46);
        Tensor w = Weights(30, 47);
        var model = Softmax(new Sgd(0.1f));
        History h = model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0, validationSplit: 0.2, sampleWeight: w, shuffle: false);
        double expected = model.Evaluate(x.Slice(24, 6), y.Slice(24, 6), batchSize: 32, verbose: 0, sampleWeight: w.Slice(24, 6))["loss"];
        Assert.Equal(expected, h["val_loss"][0], 6);
    }

    [Fact]
    public void Fit_ClassWeightWithValidationSplit_LeavesTheValidationUnweighted()
    {
        var (x, y) = Classification(30, 6, 3, seed: 50);
        var model = Softmax(new Sgd(0.1f));
        History h = model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0, validationSplit: 0.2, classWeight: new float[] { 5f, 0.1f, 1f }, shuffle: false);
        double plain = model.Evaluate(x.Slice(24, 6), y.Slice(24, 6), batchSize: 32, verbose: 0)["loss"];
        Assert.Equal(plain, h["val_loss"][0], 6);
    }

    [Fact]
    public void Fit_ClassWeightWithSequenceTargets_AsksForSampleWeight()
    {
        var model = new Sequential([new InputLayer(4, 2), new Dense(3, ActivationFunction.Softmax)]);
        model.Compile(new Sgd(), new CategoricalCrossEntropy());
        var x = Tensor.RandomNormal(new TensorShape(5, 4, 2), 1);
        var y = new Tensor(5, 4, 3);
        for (int i = 0; i < 20; i++)
        {
            y.AsSpan()[(i * 3) + (i % 3)] = 1;
        }

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, classWeight: new float[] { 1, 2, 3 }));
        Assert.Contains("rank 3 or more", ex.Message);
        Assert.True(double.IsFinite(model.Fit(x, y, verbose: 0, sampleWeight: Tensor.FromArray([1f, 2f, 0f, 1f, 1f], 5))["loss"][0]));
    }

    private sealed class PlainLoss : Loss
    {
        public override string Name => "plain";

        public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
        {
        }

        public override float Compute(Tensor predictions, Tensor targets) => 0f;

        public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => gradient.AsSpan().Clear();
    }

    [Fact]
    public void Fit_BadWeights_ThrowBeforeAnyStep()
    {
        var (x, y) = Classification(10, 6, 3, seed: 48);
        var model = Softmax(new Sgd(0.1f));
        var before = model.GetWeights();

        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, classWeight: new float[] { 1, 2, 3 }, sampleWeight: Weights(10, 1))).Message);
        var key = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, classWeight: new Dictionary<int, float> { [3] = 2f }));
        Assert.Contains("class 3", key.Message);
        Assert.Contains("[0, 3)", key.Message);
        Assert.Contains("expected (10)", Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, sampleWeight: Weights(9, 1))).Message);
        Assert.Contains("sampleWeight[4] is -1", Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, sampleWeight: Tensor.FromArray([1, 1, 1, 1, -1, 1, 1, 1, 1, 1], 10))).Message);
        Assert.Contains("sampleWeight[0] is NaN", Assert.Throws<ArgumentException>(() => model.Evaluate(x, y, verbose: 0, sampleWeight: Tensor.FromArray([float.NaN, 1, 1, 1, 1, 1, 1, 1, 1, 1], 10))).Message);
        Assert.Contains("classWeight[1] is -2", Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, classWeight: new float[] { 1, -2, 3 })).Message);
        Assert.Throws<ArgumentException>(() => new ClassWeights(new Dictionary<int, float> { [-1] = 1f }));

        var custom = Softmax(new Sgd(0.1f), new PlainLoss());
        Assert.Contains("PlainLoss", Assert.Throws<NotSupportedException>(() => custom.Fit(x, y, verbose: 0, sampleWeight: Weights(10, 1))).Message);

        var after = model.GetWeights();
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(Bits(before[i]), Bits(after[i]));
        }

        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    [Fact]
    public void Fit_ClassWeightOnTwoOutputs_AsksForSampleWeight()
    {
        var input = new Input(new TensorShape(6), "x");
        var model = new Functional([input], [new Dense(3, ActivationFunction.Softmax).Call(input), new Dense(3, ActivationFunction.Softmax).Call(input)]);
        model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new CategoricalCrossEntropy()]);
        var (x, y) = Classification(10, 6, 3, seed: 49);
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, new[] { y, y }, verbose: 0, classWeight: new float[] { 1, 2, 3 }));
        Assert.Contains("give sampleWeight instead", ex.Message);
        History h = model.Fit(x, new[] { y, y }, verbose: 0, sampleWeight: Weights(10, 3));
        Assert.True(double.IsFinite(h["loss"][0]));
    }
}
