using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

// The pipeline's use outside a model and its layers as Keras exposes them: pipeline.layers are the layers that run,
// a standalone pipeline is seeded as the random layers are (their constructor's seed), bad input changes nothing.
public class PipelineUseTests
{
    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    [Fact]
    public void Apply_SeededPipelines_DrawFromTheirSeedAndTwoSeedsDiffer()
    {
        Tensor images = TestData.Normal(1, 1f, 64, 4, 4, 1);

        int[] seven = Bits(new Pipeline([new RandomFlip(FlipMode.Horizontal)], seed: 7).Apply(images));
        int[] sevenAgain = Bits(new Pipeline([new RandomFlip(FlipMode.Horizontal)], seed: 7).Apply(images));
        int[] eight = Bits(new Pipeline([new RandomFlip(FlipMode.Horizontal)], seed: 8).Apply(images));

        // The documented rule: layer i's seed derives from the pipeline's seed and i (an unseeded RandomFlip draws from
        // its layer seed), so the flip given that seed by hand draws the same flips.
        var byHand = new RandomFlip(FlipMode.Horizontal) { Seed = SeededRandom.Derive(7, 0) };
        Assert.Equal(Bits(byHand.Forward(images, training: true)), seven);
        Assert.Equal(seven, sevenAgain);
        Assert.NotEqual(seven, eight);

        // A layer's own seed wins over the pipeline's.
        int[] own = Bits(new Pipeline([new RandomFlip(FlipMode.Horizontal, seed: 3)], seed: 7).Apply(images));
        Assert.Equal(Bits(new RandomFlip(FlipMode.Horizontal, seed: 3).Forward(images, training: true)), own);
        Assert.Equal(7L, new Pipeline([new Dense(2)], seed: 7).PipelineSeed);
    }

    [Fact]
    public void Config_Seed_RoundTrips()
    {
        var pipeline = new Pipeline([new RandomFlip()], seed: 12);

        var copy = (Pipeline)SerializationRegistry.Recreate(pipeline);

        Assert.Equal(12L, pipeline.GetConfig().GetNullableInt64("seed"));
        Assert.Equal(12L, copy.PipelineSeed);
        Assert.Null(((Pipeline)SerializationRegistry.Recreate(new Pipeline([new RandomFlip()]))).PipelineSeed);
    }

    [Fact]
    public void Layers_OnceBuilt_AreTheRunningLayersSoFreezingOneActs()
    {
        var pipeline = new Pipeline([new Dense(3), new Dense(2)]);
        pipeline.Build(new TensorShape(4));

        Assert.Same(pipeline.RunningLayers[1], pipeline.Layers[1]);
        pipeline.Layers[1].Trainable = false;

        // Keras: pipeline.layers[1].trainable = False freezes that layer's weights.
        Assert.Equal(["dense/kernel", "dense/bias"], pipeline.Parameters.Where(p => p.Trainable).Select(p => p.Name));
    }

    [Fact]
    public void Layers_FrozenBeforeTheBuild_TheirCopiesAreFrozen()
    {
        var first = new Dense(3);
        var pipeline = new Pipeline([first, new Dense(2)]);
        first.Trainable = false;

        pipeline.Build(new TensorShape(4));

        Assert.False(pipeline.RunningLayers[0].Trainable);
        Assert.Equal(["dense_1/kernel", "dense_1/bias"], pipeline.Parameters.Where(p => p.Trainable).Select(p => p.Name));
    }

    [Fact]
    public void MasksSurely_Unbuilt_IsFalseAsNoChainIsKnownYet()
    {
        // Flatten drops the mask: claiming one before the build would promise a mask that never comes.
        var flatten = new Pipeline([new Flatten()]);
        Assert.False(flatten.MasksSurely([true]));

        // Built, the chain decides: Dense passes the mask on, Flatten drops it.
        var dense = new Pipeline([new Dense(2)]);
        dense.Build(new TensorShape(3, 2));
        Assert.True(dense.MasksSurely([true]));
        flatten.Build(new TensorShape(3, 2));
        Assert.False(flatten.MasksSurely([true]));
    }

    [Fact]
    public void Apply_EmptyBatch_IsRefusedOnInputBeforeBuilding()
    {
        var pipeline = new Pipeline([new Dense(2)], name: "p");

        var error = Assert.Throws<ArgumentException>(() => pipeline.Apply(new Tensor(new TensorShape(0, 3))));

        Assert.Equal("input", error.ParamName);
        Assert.Contains("Pipeline 'p'", error.Message, StringComparison.Ordinal);
        Assert.Contains("at least one sample", error.Message, StringComparison.Ordinal);
        Assert.False(pipeline.IsBuilt);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => pipeline.Apply(Tensor.FromArray([1f, 2f], 2))).ParamName);
        Assert.False(pipeline.IsBuilt);
    }

    [Fact]
    public void Apply_AShapeALayerRefuses_ReportsTheInputAndLeavesThePipelineUnbuilt()
    {
        var pipeline = new Pipeline([new Flatten(), new RandomFlip()], name: "p");

        var error = Assert.Throws<ArgumentException>(() => pipeline.Apply(TestData.Normal(1, 1f, 2, 4, 4, 3)));

        Assert.Equal("input", error.ParamName);
        Assert.Contains("Pipeline 'p': layer 1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("inputShape", error.Message, StringComparison.Ordinal);
        Assert.False(pipeline.IsBuilt);
        Assert.Empty(pipeline.Parameters);
    }

    [Fact]
    public void FromConfig_TwoLayersOfOneName_LoadsWithTheSecondRenamed()
    {
        // Keras' Pipeline([Dense(2, name="d"), Dense(3, name="d")]) saves and loads (its weights are kept by class).
        Config config = Config.FromJson(JsonDocument.Parse("""
            {"name": "p", "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}},
                                     {"class_name": "Dense", "config": {"name": "d", "units": 3}},
                                     {"class_name": "Dense", "config": {"name": "d_1", "units": 4}}]}
            """).RootElement, "test", "config");

        Pipeline pipeline = Pipeline.FromConfig(config);
        pipeline.Build(new TensorShape(5));

        Assert.Equal(["d", "d_1", "d_1_1"], pipeline.RunningLayers.Select(l => l.Name));
        Assert.Equal([2, 3, 4], pipeline.RunningLayers.Select(l => l.OutputShape[0]));

        // The constructor still refuses it: there the user chose the names.
        Assert.Throws<ArgumentException>(() => new Pipeline([new Dense(2, name: "d"), new Dense(3, name: "d")]));
    }

    [Fact]
    public void TimeDistributed_SharesThePipelinesRefusals()
    {
        var dense = new Dense(2, name: "d");
        _ = new Pipeline([dense], name: "p");

        Assert.Contains("is already given to Pipeline 'p'", Assert.Throws<ArgumentException>(() => new TimeDistributed(dense)).Message, StringComparison.Ordinal);
        Assert.Contains("is an InputLayer", Assert.Throws<ArgumentException>(() => new TimeDistributed(new InputLayer(3))).Message, StringComparison.Ordinal);
        Assert.Contains("takes several inputs", Assert.Throws<ArgumentException>(() => new TimeDistributed(new Add())).Message, StringComparison.Ordinal);
        var built = new Dense(2);
        built.Build(new TensorShape(3));
        Assert.Equal("layer", Assert.Throws<ArgumentException>(() => new TimeDistributed(built)).ParamName);
    }
}
