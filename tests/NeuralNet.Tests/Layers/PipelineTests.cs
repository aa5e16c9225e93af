using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

// keras/src/layers/preprocessing/pipeline.py: call runs the layers in order, passes each one's output mask to the next,
// defaults training to true; get_config is {"layers": [...], "name"}; from_config refuses a "layers" that is not a list.
public class PipelineTests
{
    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    [Fact]
    public void Forward_TwoDenseLayers_EqualsTheFormulaOfTheChainInDouble()
    {
        var pipeline = new Pipeline([new Dense(3, ActivationFunction.Tanh), new Dense(2)]) { Seed = 5 };
        pipeline.Build(new TensorShape(4));
        Tensor x = TestData.Normal(1, 1f, 5, 4);

        float[] y = pipeline.Forward(x, training: false).ToArray();

        // y = tanh(x W1 + b1) W2 + b2 from the pipeline's own parameters (Keras' Dense formula, in double).
        Assert.Equal(["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"], pipeline.Parameters.Select(p => p.Name));
        float[][] w = [.. pipeline.Parameters.Select(p => p.Value.ToArray())];
        float[] xs = x.ToArray();
        for (int n = 0; n < 5; n++)
        {
            var h = new double[3];
            for (int j = 0; j < 3; j++)
            {
                double sum = w[1][j];
                for (int i = 0; i < 4; i++)
                {
                    sum += xs[(n * 4) + i] * (double)w[0][(i * 3) + j];
                }

                h[j] = Math.Tanh(sum);
            }

            for (int k = 0; k < 2; k++)
            {
                double expected = w[3][k] + (h[0] * w[2][k]) + (h[1] * w[2][2 + k]) + (h[2] * w[2][4 + k]);
                Assert.True(Math.Abs(y[(n * 2) + k] - expected) < 1e-5, $"sample {n}, unit {k}: {y[(n * 2) + k]} vs {expected}");
            }
        }
    }

    [Fact]
    public void Backward_TrainableLayersInside_MatchNumericalGradients()
    {
        var pipeline = new Pipeline([new Dense(4, ActivationFunction.Tanh), new LayerNormalization(), new Dense(3, ActivationFunction.Sigmoid)]) { Seed = 3 };
        pipeline.Build(new TensorShape(5));

        GradientChecker.CheckLayer(pipeline, TestData.Normal(4, 1f, 6, 5), seed: 8).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_FrozenLastLayer_StillPassesTheGradientToTheFirstLayersWeights()
    {
        var pipeline = new Pipeline([new Dense(3), new Dense(2)]) { Seed = 2 };
        pipeline.Build(new TensorShape(4));
        pipeline.RunningLayers[1].Trainable = false;

        // The frozen second layer must still pass the gradient down to the first one's weights.
        GradientChecker.CheckLayer(pipeline, TestData.Normal(6, 1f, 3, 4), seed: 9).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Forward_Masks_PassFromLayerToLayerAndTheLastOneIsTheOutputs()
    {
        // Masking makes a mask (a step of all zeros is masked), Dense passes it on: the pipeline's is the last layer's.
        var pipeline = new Pipeline([new Masking(), new Dense(2)]) { Seed = 1 };
        Tensor x = Tensor.FromArray([1f, 2f, 0f, 0f, 3f, 0f, 0f, 0f, 0f, 0f, 5f, 6f], 2, 3, 2);
        pipeline.Forward(x, training: false);
        Assert.Equal([1f, 0f, 1f, 0f, 0f, 1f], pipeline.OutputMask!.ToArray());

        // A mask given to the pipeline reaches its first layer, and passes through layers that support masking.
        var dense = new Pipeline([new Dense(2), new Dense(3)]) { Seed = 1 };
        Tensor mask = Tensor.FromArray([1f, 0f, 1f, 1f, 1f, 0f], 2, 3);
        dense.Forward(x, mask, training: false);
        Assert.Equal(mask.ToArray(), dense.OutputMask!.ToArray());
        Assert.Same(dense.RunningLayers[1].OutputMask, dense.OutputMask);

        // Flatten drops it (Keras' supports_masking false), so the pipeline's output has none.
        var flat = new Pipeline([new Dense(2), new Flatten()]) { Seed = 1 };
        flat.Forward(x, mask, training: false);
        Assert.Null(flat.OutputMask);
    }

    [Fact]
    public void Apply_DefaultsToTraining_EqualsTheLayersChainedByHandAndReturnsACopy()
    {
        var pipeline = new Pipeline([new RandomFlip(FlipMode.Horizontal, seed: 11), new RandomBrightness(0.3, seed: 12)]);
        Tensor images = TestData.Normal(3, 50f, 4, 5, 6, 3);
        Tensor first = pipeline.Apply(images);
        int[] firstBits = Bits(first);
        Tensor second = pipeline.Apply(images);

        // The same layers given the same seeds, run by hand in training mode (Keras' Pipeline.call: training=True), twice.
        var flip = new RandomFlip(FlipMode.Horizontal, seed: 11);
        var brightness = new RandomBrightness(0.3, seed: 12);
        int[] byHandFirst = Bits(brightness.Forward(flip.Forward(images, training: true), training: true));
        int[] byHandSecond = Bits(brightness.Forward(flip.Forward(images, training: true), training: true));
        Assert.Equal(byHandFirst, firstBits);
        Assert.Equal(byHandSecond, Bits(second));
        Assert.NotEqual(byHandFirst, byHandSecond);

        // The first result is the caller's: the second call did not overwrite it.
        Assert.Equal(firstBits, Bits(first));

        // training: false is the identity for these layers.
        Assert.Equal(Bits(images), Bits(pipeline.Apply(images, training: false)));
    }

    [Fact]
    public void Apply_WrongShape_NamesThePipelineAndTheShapes()
    {
        var pipeline = new Pipeline([new RandomFlip(seed: 1)], name: "augment");
        pipeline.Apply(TestData.Normal(1, 1f, 2, 4, 4, 3));

        var error = Assert.Throws<ArgumentException>(() => pipeline.Apply(TestData.Normal(1, 1f, 2, 5, 4, 3)));
        Assert.Contains("Pipeline 'augment'", error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 4, 4, 3)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ALayerRefusingTheShapeBeforeIt_NamesBothLayersAndLeavesThePipelineUnbuilt()
    {
        var pipeline = new Pipeline([new Flatten(), new RandomFlip()], name: "p");

        var error = Assert.Throws<ArgumentException>(() => pipeline.Build(new TensorShape(4, 4, 3)));
        Assert.Contains("Pipeline 'p': layer 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 48)", error.Message, StringComparison.Ordinal);
        Assert.False(pipeline.IsBuilt);
        Assert.Empty(pipeline.Parameters);
    }

    [Fact]
    public void Constructor_BadLayers_AreRefusedBeforeAnyLayerIsTaken()
    {
        var dense = new Dense(2);
        Assert.Throws<ArgumentNullException>(() => new Pipeline(null!));
        Assert.Contains("at least one layer", Assert.Throws<ArgumentException>(() => new Pipeline([])).Message, StringComparison.Ordinal);
        Assert.Contains("layer 1 is null", Assert.Throws<ArgumentException>(() => new Pipeline([dense, null!])).Message, StringComparison.Ordinal);
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => new Pipeline([dense, dense])).Message, StringComparison.Ordinal);
        Assert.Contains("several inputs", Assert.Throws<ArgumentException>(() => new Pipeline([dense, new Add()])).Message, StringComparison.Ordinal);
        Assert.Contains("InputLayer", Assert.Throws<ArgumentException>(() => new Pipeline([new InputLayer(3), dense])).Message, StringComparison.Ordinal);
        var built = new Dense(2);
        built.Build(new TensorShape(3));
        Assert.Contains("is built", Assert.Throws<ArgumentException>(() => new Pipeline([dense, built])).Message, StringComparison.Ordinal);
        Assert.Contains("both named 'd'", Assert.Throws<ArgumentException>(() => new Pipeline([new Dense(2, name: "d"), new Dense(3, name: "d")])).Message, StringComparison.Ordinal);

        // None of the failures took the layer: it can still go into a pipeline, and then into no other wrapper.
        var pipeline = new Pipeline([dense]);
        Assert.Contains("already given to Pipeline", Assert.Throws<ArgumentException>(() => new Pipeline([dense])).Message, StringComparison.Ordinal);
        Assert.Same(dense, pipeline.Layers[0]);
    }

    [Fact]
    public void Names_UnnamedLayersAreNumberedPastTheGivenNames()
    {
        var pipeline = new Pipeline([new Dense(2), new Dense(2, name: "dense_1"), new Dense(2), new RandomFlip()]);
        pipeline.Build(new TensorShape(3, 3, 2));

        Assert.Equal(["dense", "dense_1", "dense_2", "random_flip"], pipeline.RunningLayers.Select(l => l.Name));
        Assert.Throws<InvalidOperationException>(() => new Pipeline([new Dense(2)]).RunningLayers);
    }

    [Fact]
    public void Config_HasKerasKeysAndRoundTripsWithTheWeightsNames()
    {
        var pipeline = new Pipeline([new RandomFlip(FlipMode.Vertical, seed: 4), new Dense(2, ActivationFunction.Relu)], name: "aug");
        pipeline.Build(new TensorShape(4, 4, 3));
        pipeline.RunningLayers[1].Trainable = false;

        Config config = pipeline.GetConfig();
        var layers = (JsonArray)config.GetNode("layers")!;
        Assert.Equal("aug", config.GetString("name"));
        Assert.Equal(["RandomFlip", "Dense"], layers.Select(l => (string?)l!["class_name"]));
        Assert.Equal(["random_flip", "dense"], layers.Select(l => (string?)l!["config"]!["name"]));
        Assert.False((bool)layers[1]!["config"]!["trainable"]!);

        var copy = (Pipeline)SerializationRegistry.Recreate(pipeline);
        copy.Build(new TensorShape(4, 4, 3));
        Assert.Equal(pipeline.Parameters.Select(p => (p.Name, p.Shape)), copy.Parameters.Select(p => (p.Name, p.Shape)));
        Assert.Equal(config.ToJson(), copy.GetConfig().ToJson());
        Assert.False(copy.RunningLayers[1].Trainable);
    }

    [Theory]
    [InlineData("""{"name": "p", "layers": {"class_name": "Dense"}}""", """layers={"class_name":"Dense"}""")]
    [InlineData("""{"name": "p"}""", "layers=None")]
    [InlineData("""{"name": "p", "layers": null}""", "layers=None")]
    public void FromConfig_LayersNotAList_IsRefusedWithKerasMessage(string json, string received)
    {
        Config config = Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

        var error = Assert.Throws<InvalidDataException>(() => Pipeline.FromConfig(config));
        Assert.Contains("`Pipeline` config must contain a `layers` key mapping to a list of serialized layers. Received config with " + received, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_EmptyOrNullLayer_IsRefusedNamingThePlace()
    {
        Config empty = Config.FromJson(JsonDocument.Parse("""{"name": "p", "layers": []}""").RootElement, "test", "config");
        Assert.Contains("at least one layer", Assert.Throws<InvalidDataException>(() => Pipeline.FromConfig(empty)).Message, StringComparison.Ordinal);
        Config withNull = Config.FromJson(JsonDocument.Parse("""{"name": "p", "layers": [null]}""").RootElement, "test", "config");
        Assert.Contains("\"layers[0]\" is null", Assert.Throws<InvalidDataException>(() => Pipeline.FromConfig(withNull)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainingStep_AugmentationAndDense_AllocatesNothingAfterTheFirstBatch()
    {
        var pipeline = new Pipeline([new RandomFlip(seed: 3), new RandomContrast(0.2, seed: 4), new Flatten(), new Dense(3)]) { Seed = 2 };
        Tensor images = TestData.Normal(5, 10f, 4, 6, 6, 3);
        Tensor upstream = TestData.Normal(6, 1f, 4, 3);

        void Step()
        {
            pipeline.Forward(images, training: true);
            pipeline.Backward(upstream);
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }
}
