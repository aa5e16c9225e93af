using NeuralNet.Activations;
using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' keras/src/applications/efficientnet_v2.py. Counts: EfficientNetCounts writes out the parameters the file
// creates; every variant's counts are checked in EfficientNetParameterCountTests.
public class EfficientNetV2Tests
{
    internal static Functional Build(string variant, ApplicationOptions options) => variant switch
    {
        "b0" => KerasApplications.EfficientNetV2B0(options),
        "b1" => KerasApplications.EfficientNetV2B1(options),
        "b2" => KerasApplications.EfficientNetV2B2(options),
        "b3" => KerasApplications.EfficientNetV2B3(options),
        "s" => KerasApplications.EfficientNetV2S(options),
        "m" => KerasApplications.EfficientNetV2M(options),
        _ => KerasApplications.EfficientNetV2L(options),
    };

    [Fact]
    public void EfficientNetV2B0_Default_HasKerasPublishedParameterCounts()
    {
        Functional model = KerasApplications.EfficientNetV2B0();

        Assert.Equal("efficientnetv2-b0", model.Name);
        Assert.Equal(new TensorShape(224, 224, 3), model.Inputs[0].Shape);
        Assert.Equal(7_200_312, model.ParameterCount);
        Assert.Equal(7_139_704, model.TrainableParameterCount);
        Assert.Equal(new TensorShape(1000), model.OutputShape);
    }

    [Fact]
    public void EfficientNetV2B0_Layers_AreInKerasOrderWithKerasNames()
    {
        Functional model = KerasApplications.EfficientNetV2B0(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3) });

        Assert.Equal(
            ["rescaling", "normalization", "stem_conv", "stem_bn", "stem_activation",
             "block1a_project_conv", "block1a_project_bn", "block1a_project_activation",
             "block2a_expand_conv", "block2a_expand_bn", "block2a_expand_activation", "block2a_project_conv", "block2a_project_bn",
             "block2b_expand_conv", "block2b_expand_bn", "block2b_expand_activation", "block2b_project_conv", "block2b_project_bn",
             "block2b_drop", "block2b_add", "block3a_expand_conv"],
            ApplicationTestSupport.Names(model, "rescaling", 21));
        Assert.Equal(
            ["block4a_expand_conv", "block4a_expand_bn", "block4a_expand_activation", "block4a_dwconv2", "block4a_bn", "block4a_activation",
             "block4a_se_squeeze", "block4a_se_reshape", "block4a_se_reduce", "block4a_se_expand", "block4a_se_excite",
             "block4a_project_conv", "block4a_project_bn", "block4b_expand_conv"],
            ApplicationTestSupport.Names(model, "block4a_expand_conv", 14));
        Assert.Equal(["block6h_add", "top_conv", "top_bn", "top_activation", "avg_pool", "top_dropout", "predictions"],
            ApplicationTestSupport.Names(model, "block6h_add", 7));

        // 1 input + 2 preprocessing + 3 stem; block1a 3; 4 fused blocks of 5; 16 MBConv blocks of 13; +2 per residual
        // (2 fused, 13 MBConv); top 3; classifier 3.
        Assert.Equal(1 + 2 + 3 + 3 + (4 * 5) + (16 * 13) + (2 * 15) + 3 + 3, model.Layers.Count);

        // Block b (block1a = 0) drops at 0.2 * b / 21, 21 being the stages' repeats.
        (string Name, int B)[] drops = [("block2b", 2), ("block3b", 4), ("block4b", 6), ("block4c", 7), ("block5b", 9), ("block5c", 10), ("block5d", 11), ("block5e", 12),
            ("block6b", 14), ("block6c", 15), ("block6d", 16), ("block6e", 17), ("block6f", 18), ("block6g", 19), ("block6h", 20)];
        Dropout[] dropouts = [.. model.Layers.OfType<Dropout>().Where(d => d.Name != "top_dropout")];
        Assert.Equal(drops.Select(d => d.Name + "_drop"), dropouts.Select(d => d.Name));
        Assert.Equal(drops.Select(d => d.Name + "_add"), model.Layers.OfType<Add>().Select(a => a.Name));
        for (int i = 0; i < drops.Length; i++)
        {
            Assert.Equal(0.2 * drops[i].B / 21.0, dropouts[i].Rate);
            Assert.Equal([null, 1, 1, 1], dropouts[i].NoiseShape!);
        }
    }

    [Fact]
    public void EfficientNetV2B0_Layers_HaveKerasHyperparameters()
    {
        Functional model = KerasApplications.EfficientNetV2B0(new ApplicationOptions { InputShape = new TensorShape(64, 64, 3) });

        Assert.All(model.Layers.OfType<BatchNormalization>(), n => Assert.Equal((1e-3f, 0.9f), (n.Epsilon, n.Momentum)));
        Assert.All(model.Layers.OfType<Activation>(), a => Assert.IsType<Silu>(a.Function));
        Assert.Empty(model.Layers.OfType<ZeroPadding2D>());
        var stem = (Conv2D)model.GetLayer("stem_conv");
        Assert.Equal((32, (3, 3), (2, 2), Padding.Same, false), (stem.Filters, stem.KernelSize, stem.Strides, stem.Padding, stem.UseBias));

        // Fused without expansion: the projection is the 3x3 convolution; with expansion, the 3x3 strided one is expand_conv.
        var project1a = (Conv2D)model.GetLayer("block1a_project_conv");
        Assert.Equal(((3, 3), (1, 1), 16), (project1a.KernelSize, project1a.Strides, project1a.Filters));
        var expand2a = (Conv2D)model.GetLayer("block2a_expand_conv");
        Assert.Equal(((3, 3), (2, 2), 64), (expand2a.KernelSize, expand2a.Strides, expand2a.Filters));
        Assert.Equal((1, 1), ((Conv2D)model.GetLayer("block2a_project_conv")).KernelSize);
        var dw = (DepthwiseConv2D)model.GetLayer("block4a_dwconv2");
        Assert.Equal(((2, 2), Padding.Same), (dw.Strides, dw.Padding));

        // SE of block4a: 48 * 4 = 192 channels squeezed to max(1, int(48 * 0.25)) = 12.
        Assert.Equal(12, ((Conv2D)model.GetLayer("block4a_se_reduce")).Filters);
        Assert.Equal(192, ((Conv2D)model.GetLayer("block4a_se_expand")).Filters);
        Assert.Equal(new TensorShape(4, 4, 96), model.GetLayer("block4c_add").OutputShape);

        var normalization = (Normalization)model.GetLayer("normalization");
        Assert.Empty(normalization.Parameters);
        Assert.Equal([0.485f, 0.456f, 0.406f], normalization.GivenMean!);
        Assert.Equal([(float)(0.229 * 0.229), (float)(0.224 * 0.224), (float)(0.225 * 0.225)], normalization.GivenVariance!);
    }

    [Fact]
    public void EfficientNetV2B0_Preprocessing_IsImageNetNormalization()
    {
        Functional model = KerasApplications.EfficientNetV2B0(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });
        var stem = new Functional(model.Inputs[0], model.GetLayer("normalization").Output);
        Tensor images = Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), seed: 6, 0f, 255f);
        float[] x = images.ToArray(), y = stem.Predict(images).ToArray();
        double[] mean = [0.485, 0.456, 0.406], stddev = [0.229, 0.224, 0.225];

        for (int i = 0; i < x.Length; i++)
        {
            double expected = ((x[i] / 255.0) - mean[i % 3]) / stddev[i % 3];
            Assert.Equal(expected, y[i], 1e-5 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Theory]
    [InlineData("s", 3)]
    [InlineData("b0", 1)]
    public void EfficientNetV2_OtherVariantsOrChannels_RescaleToMinusOneOne(string variant, int channels)
    {
        Functional model = Build(variant, new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, channels) });

        var rescaling = (Rescaling)model.GetLayer("rescaling");
        Assert.Equal((1f / 128f, -1f), (rescaling.Scale, rescaling.Offset));
        Assert.DoesNotContain(model.Layers, l => l is Normalization);
        Assert.Equal("stem_conv", model.Layers[2].Name);
    }

    [Fact]
    public void EfficientNetV2_IncludePreprocessingFalse_StartsWithTheStem()
    {
        Functional model = KerasApplications.EfficientNetV2B0(new ApplicationOptions { IncludePreprocessing = false, IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        Assert.Equal("stem_conv", model.Layers[1].Name);
        Assert.Equal(5_919_312, model.ParameterCount);
    }

    [Fact]
    public void EfficientNetV2S_FirstBlockAddsWithoutDrop_AsKerasAtRateZero()
    {
        Functional model = KerasApplications.EfficientNetV2S(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        // block1a keeps 24 filters at stride 1, so it adds; its rate 0.2 * 0 / 40 is 0, so Keras creates no Dropout.
        Assert.Contains(model.Layers, l => l.Name == "block1a_add");
        Assert.DoesNotContain(model.Layers, l => l.Name == "block1a_drop");
        Assert.Equal(0.2 * 1 / 40.0, ((Dropout)model.GetLayer("block1b_drop")).Rate);
    }

    [Fact]
    public void EfficientNetV2B3_DropRates_DivideByTheUnscaledRepeats_AsKeras()
    {
        Functional model = KerasApplications.EfficientNetV2B3(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        // Depth 1.4: ceil(1.4 * [1, 2, 2, 3, 5, 8]) = [2, 3, 3, 5, 7, 12] = 32 blocks, but Keras divides by 21.
        Assert.Equal(0.2 * 31 / 21.0, ((Dropout)model.GetLayer("block6l_drop")).Rate);
        Assert.DoesNotContain(model.Layers, l => l.Name == "block6m_project_conv");
        // round_filters with width 1.2: 32 -> 38.4 -> 40; 16 -> 19.2 -> 16 (no 10 % rule in V2); 1280 -> 1536.
        Assert.Equal(40, ((Conv2D)model.GetLayer("stem_conv")).Filters);
        Assert.Equal(16, ((Conv2D)model.GetLayer("block1a_project_conv")).Filters);
        Assert.Equal(1536, ((Conv2D)model.GetLayer("top_conv")).Filters);
    }

    [Fact]
    public void EfficientNetV2B0_OneTrainingStep_AtSmallSize_GivesFiniteGradientsAndMovesWeights()
    {
        Functional model = KerasApplications.EfficientNetV2B0(ApplicationTestSupport.SmallClassifier(32));

        Assert.Equal(EfficientNetCounts.V2(1.0, 1.0, "b", top: true, 3).Total, model.ParameterCount);
        // A layer of a block with drop connect (its "blockNx_drop") may see its branch dropped for the whole batch.
        ApplicationTestSupport.TrainOneStep(model, 32, name => model.Layers.Any(l => l.Name == name[..(name.IndexOf('_') + 1)] + "drop"));
    }

    [Fact]
    public void EfficientNetV2B0_TrainStepAfterWarmUp_AllocatesNothing()
    {
        Functional model = KerasApplications.EfficientNetV2B0(ApplicationTestSupport.SmallClassifier(32));
        model.Compile(new NeuralNet.Optimizers.Adam(), new NeuralNet.Losses.CategoricalCrossEntropy());
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 32, 32, 3), 3, 0f, 255f);
        Tensor y = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0 }, 4, 3);

        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }
}
