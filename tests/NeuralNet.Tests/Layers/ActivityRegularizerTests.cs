using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.Models;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>Keras' activity_regularizer: penalty(output) / batch added to the loss, its gradient to the output gradient.</summary>
public class ActivityRegularizerTests
{
    [Fact]
    public void Evaluate_AddsPenaltyOfTheOutputOverBatch_KerasFormula()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(40, 6, 3, seed: 1);
        Sequential plain = Model(activity: null);
        Sequential regularized = Model(new L2(0.01));
        regularized.SetWeights(plain.GetWeights());

        double without = plain.Evaluate(x, y, batchSize: 40, verbose: 0)["loss"];
        double with = regularized.Evaluate(x, y, batchSize: 40, verbose: 0)["loss"];

        // Keras 3: loss += l2 * sum(hidden output ^ 2) / batch, the hidden output computed here from the weights.
        Tensor hidden = new Sequential([new InputLayer(6), CopyOf((Dense)plain.Layers[1])]).Predict(x);
        double sum = hidden.ToArray().Sum(v => (double)v * v);
        Assert.Equal(without + (0.01 * sum / 40), with, 5);
    }

    [Fact]
    public void Evaluate_InPasses_EqualsOnePass()
    {
        // A batch of 600 runs in passes of at most 128 rows (the model never trained on a larger batch).
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(600, 6, 3, seed: 2);
        Sequential model = Model(new L1(0.05));
        double passes = model.Evaluate(x, y, batchSize: 600, verbose: 0)["loss"];
        double batches = model.Evaluate(x, y, batchSize: 100, verbose: 0)["loss"];
        Assert.Equal(batches, passes, 5);

        Sequential plain = Model(activity: null);
        plain.SetWeights(model.GetWeights());
        Assert.True(passes > plain.Evaluate(x, y, batchSize: 600, verbose: 0)["loss"] + 1e-4);
    }

    [Fact]
    public void Wrappers_BidirectionalCountsItsRecurrentLayers_TimeDistributedDropsTheInnerRegularizer()
    {
        var random = new SeededRandom(3);
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 4 * 5 * 2).Select(_ => (float)random.NextDouble())], 4, 5, 2);
        Tensor y = Tensor.FromArray([1, 0, 0, 1, 1, 0, 0, 1], 4, 2);

        var withRegularizer = new Sequential([new InputLayer(5, 2), new Bidirectional(new SimpleRnn(3) { ActivityRegularizer = new L2(0.5) }), new Dense(2, ActivationFunction.Softmax)], seed: 1);
        var without = new Sequential([new InputLayer(5, 2), new Bidirectional(new SimpleRnn(3)), new Dense(2, ActivationFunction.Softmax)], seed: 1);
        foreach (Sequential m in new[] { withRegularizer, without })
        {
            m.Compile(new Sgd(0f), new CategoricalCrossEntropy());
        }

        without.SetWeights(withRegularizer.GetWeights());
        float regularized = withRegularizer.ComputeGradients(x, y);
        Assert.True(withRegularizer.ActivityLoss > 0);
        Assert.Equal(without.ComputeGradients(x, y) + withRegularizer.ActivityLoss, regularized, 5);

        var distributed = new Sequential([new InputLayer(5, 2), new TimeDistributed(new Dense(3) { ActivityRegularizer = new L2(0.5) }), new Flatten(), new Dense(2, ActivationFunction.Softmax)], seed: 2);
        distributed.Compile(new Sgd(0f), new CategoricalCrossEntropy());
        distributed.ComputeGradients(x, y);
        Assert.Equal(0f, distributed.ActivityLoss);

        // TimeDistributed first in a model (no input gradient needed) trains: it used to reshape its inner layer's output
        // gradient as if it were the input gradient and throw.
        distributed.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        Assert.True(double.IsFinite(distributed.Fit(x, y, epochs: 2, batchSize: 2, verbose: 0)["loss"][1]));
    }

    [Fact]
    public void TrainStep_Gradient_MatchesNumericalGradientOfTheLoss()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(8, 6, 3, seed: 3);
        Sequential model = Model(new L1L2(0.02, 0.03));
        Parameter kernel = ((Dense)model.Layers[1]).Kernel;
        kernel.ZeroGradient();
        model.ComputeGradients(x, y);
        float[] analytic = kernel.Gradient.ToArray();

        Span<float> w = kernel.Value.AsSpan();
        foreach (int i in new[] { 0, 5, 17, 40 })
        {
            float original = w[i];
            const float h = 1e-3f;
            // The training-mode loss (inference passes may reuse a kernel packed before the weight was nudged).
            w[i] = original + h;
            double up = model.ComputeGradients(x, y);
            w[i] = original - h;
            double down = model.ComputeGradients(x, y);
            w[i] = original;
            Assert.Equal((up - down) / (2 * h), analytic[i], 2e-3);
        }
    }

    [Fact]
    public void SaveAndLoad_KeepsTheRegularizer_AndKerasConfigLoads()
    {
        var dense = new Dense(4, name: "d") { ActivityRegularizer = new L1(0.5) };
        Assert.Equal("""{"class_name":"L1","config":{"l1":0.5}}""", JsonNode.Parse(dense.GetConfig().ToJson())!["activity_regularizer"]!.ToJsonString().Replace(" ", string.Empty, StringComparison.Ordinal));
        var copy = (Dense)SerializationRegistry.Recreate(dense);
        Assert.Equal(0.5f, Assert.IsType<L1>(copy.ActivityRegularizer).Factor);

        JsonNode keras = JsonNode.Parse("""{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3], "activity_regularizer": {"class_name": "L2", "config": {"l2": 0.001}}}}""")!;
        var conv = (Conv2D)SerializationRegistry.Deserialize<Layer>(keras, new Config(), "layer");
        Assert.Equal(0.001f, Assert.IsType<L2>(conv.ActivityRegularizer).Factor);
    }

    [Fact]
    public void ConvolutionBeforePooling_WithRegularizer_TrainsUnfused_AndMatchesItsLoss()
    {
        var conv = new Conv2D(2, 3, activation: ActivationFunction.Relu) { ActivityRegularizer = new L2(0.1) };
        var model = new Sequential([new InputLayer(6, 6, 1), conv, new MaxPooling2D(2), new Flatten(), new Dense(2, ActivationFunction.Softmax)], seed: 4);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        var random = new SeededRandom(9);
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 8 * 36).Select(_ => (float)random.NextDouble())], 8, 6, 6, 1);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => (i % 2) == (i / 2 % 2) ? 1f : 0f)], 8, 2);

        double trained = model.TrainOnBatch(x, y)["loss"];
        Assert.True(double.IsFinite(trained));
        double evaluated = model.Evaluate(x, y, verbose: 0)["loss"];
        var unregularized = new Sequential([new InputLayer(6, 6, 1), new Conv2D(2, 3, activation: ActivationFunction.Relu), new MaxPooling2D(2), new Flatten(), new Dense(2, ActivationFunction.Softmax)]);
        unregularized.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        unregularized.SetWeights(model.GetWeights());
        Assert.True(evaluated > unregularized.Evaluate(x, y, verbose: 0)["loss"]);
    }

    [Fact]
    public void TrainingStep_AllocatesNothingAfterTheFirstBatch()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(16, 6, 3, seed: 5);
        Sequential model = Model(new L1(0.01));
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                model.TrainStep(x, y);
            }
        });
    }

    private static Sequential Model(Regularizer? activity)
    {
        var model = new Sequential([new InputLayer(6), new Dense(8, ActivationFunction.Tanh) { ActivityRegularizer = activity }, new Dense(3, ActivationFunction.Softmax)], seed: 7);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        return model;
    }

    private static Dense CopyOf(Dense dense)
    {
        var copy = new Dense(dense.Units, dense.Activation);
        copy.Build(new TensorShape(6));
        dense.Kernel.Value.AsReadOnlySpan().CopyTo(copy.Kernel.Value.AsSpan());
        dense.Bias!.Value.AsReadOnlySpan().CopyTo(copy.Bias!.Value.AsSpan());
        return copy;
    }
}
