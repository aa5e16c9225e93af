using NeuralNet.Activations;
using NeuralNet.Applications;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' keras/src/applications/efficientnet.py. Counts: EfficientNetCounts writes out the parameters the file creates;
// B0's total 5,330,571 and trainable 5,288,548 are Keras' model.summary() figures. Every variant's counts are checked in
// EfficientNetParameterCountTests.
public class EfficientNetTests
{
    internal static Functional Build(int variant, ApplicationOptions options) => variant switch
    {
        0 => KerasApplications.EfficientNetB0(options),
        1 => KerasApplications.EfficientNetB1(options),
        2 => KerasApplications.EfficientNetB2(options),
        3 => KerasApplications.EfficientNetB3(options),
        4 => KerasApplications.EfficientNetB4(options),
        5 => KerasApplications.EfficientNetB5(options),
        6 => KerasApplications.EfficientNetB6(options),
        _ => KerasApplications.EfficientNetB7(options),
    };

    [Fact]
    public void EfficientNetB0_Default_HasKerasPublishedParameterCounts()
    {
        Assert.Equal((5_330_571, 42_023), EfficientNetCounts.V1(1.0, 1.0, top: true));   // the count written out agrees with Keras' summary

        Functional model = KerasApplications.EfficientNetB0();

        Assert.Equal("efficientnetb0", model.Name);
        Assert.Equal(new TensorShape(224, 224, 3), model.Inputs[0].Shape);
        Assert.Equal(5_330_571, model.ParameterCount);
        Assert.Equal(5_288_548, model.TrainableParameterCount);
        Assert.Equal(new TensorShape(1000), model.OutputShape);
    }

    [Theory]
    [InlineData(0, 224)]
    [InlineData(3, 300)]
    public void EfficientNet_NoInputShape_UsesKerasDefaultSize(int variant, int size)
    {
        Functional model = Build(variant, new ApplicationOptions { IncludeTop = false });

        Assert.Equal(new TensorShape(size, size, 3), model.Inputs[0].Shape);
        Assert.Equal(new TensorShape(size / 32 + (size % 32 == 0 ? 0 : 1), size / 32 + (size % 32 == 0 ? 0 : 1), variant == 0 ? 1280 : 1536), model.OutputShape);
    }

    [Fact]
    public void EfficientNetB0_Layers_AreInKerasOrderWithKerasNames()
    {
        Functional model = KerasApplications.EfficientNetB0(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3) });

        Assert.Equal(
            ["rescaling", "normalization", "stem_conv_pad", "stem_conv", "stem_bn", "stem_activation",
             "block1a_dwconv", "block1a_bn", "block1a_activation", "block1a_se_squeeze", "block1a_se_reshape", "block1a_se_reduce",
             "block1a_se_expand", "block1a_se_excite", "block1a_project_conv", "block1a_project_bn",
             "block2a_expand_conv", "block2a_expand_bn", "block2a_expand_activation", "block2a_dwconv_pad", "block2a_dwconv", "block2a_bn",
             "block2a_activation", "block2a_se_squeeze", "block2a_se_reshape", "block2a_se_reduce", "block2a_se_expand", "block2a_se_excite",
             "block2a_project_conv", "block2a_project_bn",
             "block2b_expand_conv", "block2b_expand_bn", "block2b_expand_activation", "block2b_dwconv", "block2b_bn", "block2b_activation",
             "block2b_se_squeeze", "block2b_se_reshape", "block2b_se_reduce", "block2b_se_expand", "block2b_se_excite",
             "block2b_project_conv", "block2b_project_bn", "block2b_drop", "block2b_add", "block3a_expand_conv"],
            ApplicationTestSupport.Names(model, "rescaling", 46));
        Assert.Equal(["block7a_project_bn", "top_conv", "top_bn", "top_activation", "avg_pool", "top_dropout", "predictions"],
            ApplicationTestSupport.Names(model, "block7a_project_bn", 7));
        Assert.IsType<InputLayer>(model.Layers[0]);

        // 1 input + 6 stem layers + 16 blocks (block1a 10 layers, each other 13, +1 pad when strided, +2 with a residual)
        // + 3 top layers + 3 classifier layers.
        int strided = 4, residual = 9;
        Assert.Equal(1 + 6 + 10 + (15 * 13) + strided + (2 * residual) + 3 + 3, model.Layers.Count);

        // Residual branches where Keras adds them (stride 1, same filters in and out), each dropped at 0.2 * b / 16 where b
        // counts the blocks from block1a = 0: block2b is b = 2, ..., block6d is b = 14.
        (string Name, int B)[] drops = [("block2b", 2), ("block3b", 4), ("block4b", 6), ("block4c", 7), ("block5b", 9), ("block5c", 10), ("block6b", 12), ("block6c", 13), ("block6d", 14)];
        Assert.Equal(drops.Select(d => d.Name + "_add"), model.Layers.OfType<Add>().Select(l => l.Name));
        Dropout[] dropouts = [.. model.Layers.OfType<Dropout>().Where(d => d.Name != "top_dropout")];
        Assert.Equal(drops.Select(d => d.Name + "_drop"), dropouts.Select(d => d.Name));
        for (int i = 0; i < drops.Length; i++)
        {
            Assert.Equal(0.2 * drops[i].B / 16.0, dropouts[i].Rate);
            Assert.Equal([null, 1, 1, 1], dropouts[i].NoiseShape!);
        }

        Assert.Equal(0.2, ((Dropout)model.GetLayer("top_dropout")).Rate);
        Assert.Equal(["block2a_dwconv_pad", "block3a_dwconv_pad", "block4a_dwconv_pad", "block6a_dwconv_pad"], model.Layers.OfType<ZeroPadding2D>().Skip(1).Select(l => l.Name));
    }

    [Fact]
    public void EfficientNetB0_Layers_HaveKerasHyperparameters()
    {
        Functional model = KerasApplications.EfficientNetB0(new ApplicationOptions { InputShape = new TensorShape(64, 64, 3) });

        Assert.All(model.Layers.OfType<BatchNormalization>(), n => Assert.Equal((1e-3f, 0.99f), (n.Epsilon, n.Momentum)));
        Assert.All(model.Layers.OfType<Activation>(), a => Assert.IsType<Silu>(a.Function));
        foreach (Conv2D conv in model.Layers.OfType<Conv2D>())
        {
            bool se = conv.Name.Contains("_se_", StringComparison.Ordinal);
            Assert.Equal(se, conv.UseBias);
            AssertKerasConvInitializer(conv.KernelInitializer);
        }

        Assert.All(model.Layers.OfType<DepthwiseConv2D>(), d => AssertKerasConvInitializer(d.DepthwiseInitializer));
        var dense = (VarianceScaling)((Dense)model.GetLayer("predictions")).KernelInitializer;
        Assert.Equal((1.0 / 3.0, VarianceScalingMode.FanOut, VarianceScalingDistribution.Uniform), (dense.Scale, dense.Mode, dense.Distribution));

        // SE: block2a squeezes its 96 expanded channels to max(1, int(16 * 0.25)) = 4 (Keras uses filters_in, not the expansion).
        var reduce = (Conv2D)model.GetLayer("block2a_se_reduce");
        Assert.Equal((4, typeof(Silu)), (reduce.Filters, reduce.Activation!.GetType()));
        var expand = (Conv2D)model.GetLayer("block2a_se_expand");
        Assert.Equal((96, typeof(Sigmoid)), (expand.Filters, expand.Activation!.GetType()));
        Assert.Equal(new TensorShape(1, 1, 96), model.GetLayer("block2a_se_reshape").OutputShape);

        // Kernel 5 in stage 3; correct_pad: 64 -> stem 32 (pad (0, 1)); block3a's input 16 is even, padded (1, 2) for k = 5.
        Assert.Equal(((0, 1), (0, 1)), ((ZeroPadding2D)model.GetLayer("stem_conv_pad")).Padding);
        Assert.Equal(((1, 2), (1, 2)), ((ZeroPadding2D)model.GetLayer("block3a_dwconv_pad")).Padding);
        var strided = (DepthwiseConv2D)model.GetLayer("block3a_dwconv");
        Assert.Equal(((5, 5), (2, 2), Padding.Valid), (strided.KernelSize, strided.Strides, strided.Padding));
        Assert.Equal(Padding.Same, ((DepthwiseConv2D)model.GetLayer("block3b_dwconv")).Padding);
        Assert.Equal(new TensorShape(8, 8, 40), model.GetLayer("block3b_add").OutputShape);

        var rescaling = (Rescaling)model.GetLayer("rescaling");
        Assert.Equal((1f / 255f, 0f), (rescaling.Scale, rescaling.Offset));
        var normalization = (Normalization)model.GetLayer("normalization");
        Assert.Equal([3], normalization.Axes);
        Assert.Equal(["mean", "variance", "count"], normalization.Parameters.Select(p => p.Name));
    }

    private static void AssertKerasConvInitializer(Initializer initializer)
    {
        var v = Assert.IsType<VarianceScaling>(initializer);
        Assert.Equal((2.0, VarianceScalingMode.FanOut, VarianceScalingDistribution.TruncatedNormal), (v.Scale, v.Mode, v.Distribution));
    }

    [Fact]
    public void EfficientNetB1_ScalesDepthAndWidthAsKerasDoes()
    {
        Functional model = KerasApplications.EfficientNetB1(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        // Depth 1.1: ceil(1.1 * [1, 2, 2, 3, 3, 4, 1]) = [2, 3, 3, 4, 4, 5, 2] blocks; block1b keeps 16 filters and adds.
        Assert.DoesNotContain(model.Layers, l => l.Name == "block1a_add");
        Assert.Contains(model.Layers, l => l.Name == "block1b_add");
        Assert.Contains(model.Layers, l => l.Name == "block7b_add");
        Assert.DoesNotContain(model.Layers, l => l.Name == "block7c_project_conv");
        Assert.Equal(23, model.Layers.Count(l => l.Name.EndsWith("_project_conv", StringComparison.Ordinal)));
        // Block b of 23 drops at 0.2 b / 23: block1b is b = 1.
        Assert.Equal(0.2 * 1 / 23.0, ((Dropout)model.GetLayer("block1b_drop")).Rate);
    }

    [Fact]
    public void EfficientNetB2_RoundsFiltersAsKerasDoes()
    {
        Functional model = KerasApplications.EfficientNetB2(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        // round_filters with width 1.1: 32 -> 35.2 -> 32; 1280 -> 1408; 320 -> 352; 16 -> 17.6 -> 16; 24 -> 26.4 -> 24.
        Assert.Equal(32, ((Conv2D)model.GetLayer("stem_conv")).Filters);
        Assert.Equal(1408, ((Conv2D)model.GetLayer("top_conv")).Filters);
        Assert.Equal(352, ((Conv2D)model.GetLayer("block7b_project_conv")).Filters);
        Assert.Equal(new TensorShape(1, 1, 1408), model.OutputShape);
    }

    [Fact]
    public void EfficientNetB0_ImageNetWeights_AddsKerasRescalingThatGivesTheOriginalNormalization()
    {
        Functional model = KerasApplications.EfficientNetB0(new ApplicationOptions { ImageNetWeights = true, IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });
        Assert.Equal(["rescaling", "normalization", "rescaling_1", "stem_conv_pad"], ApplicationTestSupport.Names(model, "rescaling", 4));
        Assert.Equal(4_049_571, model.ParameterCount);   // the fix has no weights: the weights files' order is unchanged

        // Keras 2's published weights hold the ImageNet mean and, as variance, the standard deviation.
        var normalization = (Normalization)model.GetLayer("normalization");
        float[] mean = [0.485f, 0.456f, 0.406f], stddev = [0.229f, 0.224f, 0.225f];
        mean.CopyTo(normalization.Mean!.Value.AsSpan());
        stddev.CopyTo(normalization.Variance!.Value.AsSpan());
        normalization.Count!.Value.AsSpan()[0] = 0f;   // as Keras 3 writes it: the statistics are still used

        var stem = new Functional(model.Inputs[0], model.GetLayer("rescaling_1").Output);
        Tensor images = Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), seed: 4, 0f, 255f);
        float[] x = images.ToArray(), y = stem.Predict(images).ToArray();

        // The original EfficientNet preprocessing: (x / 255 - mean) / stddev, per channel.
        for (int i = 0; i < x.Length; i++)
        {
            double expected = ((x[i] / 255.0) - mean[i % 3]) / stddev[i % 3];
            Assert.Equal(expected, y[i], 1e-5 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Fact]
    public void EfficientNetB0_WithoutImageNetWeights_NormalizationPassesValuesThrough_AsKerasUnadapted()
    {
        Functional model = KerasApplications.EfficientNetB0(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });
        var stem = new Functional(model.Inputs[0], model.GetLayer("normalization").Output);
        Tensor images = Tensor.RandomUniform(new TensorShape(1, 32, 32, 3), seed: 2, 0f, 255f);

        float[] y = stem.Predict(images).ToArray(), x = images.ToArray();

        // Keras' Normalization starts at mean 0 and variance 1: (x / 255 - 0) / max(sqrt(1), 1e-7).
        Assert.Equal(x.Select(v => v * (1f / 255f)), y);
        Assert.Equal(0f, ((Normalization)model.GetLayer("normalization")).Count!.Value.ToArray()[0]);   // count 0, as Keras
    }

    [Fact]
    public void EfficientNetB0_Clone_NormalizationStillPassesValuesThroughAndPredicts()
    {
        Functional model = KerasApplications.EfficientNetB0(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Pooling = ApplicationPooling.Average });
        Model clone = model.Clone();
        clone.SetWeights(model.GetWeights());
        var stem = new Functional(clone.Inputs[0], clone.GetLayer("normalization").Output);
        Tensor images = Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), seed: 5, 0f, 255f);

        Assert.Equal(images.ToArray().Select(v => v * (1f / 255f)), stem.Predict(images).ToArray());
        Assert.Equal(model.Predict(images).ToArray(), clone.Predict(images).ToArray());
    }

    [Fact]
    public void EfficientNetB0_OneTrainingStep_AtSmallSize_GivesFiniteGradientsAndMovesWeights()
    {
        Functional model = KerasApplications.EfficientNetB0(ApplicationTestSupport.SmallClassifier(32));

        Assert.Equal(EfficientNetCounts.V1(1.0, 1.0, top: true, 3).Total, model.ParameterCount);
        // A layer of a block with drop connect (its "blockNx_drop") may see its branch dropped for the whole batch.
        ApplicationTestSupport.TrainOneStep(model, 32, name => model.Layers.Any(l => l.Name == name[..(name.IndexOf('_') + 1)] + "drop"));
    }

    [Fact]
    public void EfficientNetB0_TrainStepAfterWarmUp_AllocatesNothing()
    {
        Functional model = KerasApplications.EfficientNetB0(ApplicationTestSupport.SmallClassifier(32));
        model.Compile(new NeuralNet.Optimizers.Adam(), new NeuralNet.Losses.CategoricalCrossEntropy());
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 32, 32, 3), 3, 0f, 255f);
        Tensor y = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0 }, 4, 3);

        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }

    [Fact]
    public void EfficientNetB0_SameSeed_SameWeightsAndTrainingBitForBit()
    {
        float[] Run()
        {
            Functional model = KerasApplications.EfficientNetB0(ApplicationTestSupport.SmallClassifier(32));
            model.Compile(new NeuralNet.Optimizers.Sgd(0.01f), new NeuralNet.Losses.CategoricalCrossEntropy());
            Tensor x = Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), 3, 0f, 255f);
            model.TrainStep(x, Tensor.FromArray(new float[] { 1, 0, 0, 0, 0, 1 }, 2, 3));
            return model.Predict(x).ToArray();
        }

        Assert.Equal(Run(), Run());
    }
}
