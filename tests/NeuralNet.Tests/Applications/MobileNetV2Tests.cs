using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' keras/src/applications/mobilenet_v2.py; counts from keras.io/api/applications and model.summary().
public class MobileNetV2Tests
{
    private static readonly (int Filters, int Stride, int Expansion)[] KerasBlocks =
    [
        (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
        (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6),
    ];

    // Keras' _make_divisible(v, 8) written out: round to the nearest multiple of 8, at least 8, then up by 8 if that
    // lost more than 10 %.
    private static int Divisible(double v)
    {
        int n = Math.Max(8, (int)Math.Floor((v + 4) / 8) * 8);
        return n < 0.9 * v ? n + 8 : n;
    }

    // The parameters Keras' mobilenet_v2.py creates: convolutions without bias, 4 weights per batch-normalized channel.
    private static (long Total, long MovingStatistics) Count(double alpha, bool top, int classes)
    {
        int c = Divisible(32 * alpha);
        long total = (27L * c) + (4L * c), moving = 2L * c;
        int inChannels = c;
        for (int id = 0; id < KerasBlocks.Length; id++)
        {
            var (filters, _, expansion) = KerasBlocks[id];
            int pointwise = Divisible((int)(filters * alpha));
            int expanded = id == 0 ? inChannels : expansion * inChannels;
            if (id != 0)
            {
                total += ((long)inChannels * expanded) + (4L * expanded);
                moving += 2L * expanded;
            }

            total += (9L * expanded) + (4L * expanded) + ((long)expanded * pointwise) + (4L * pointwise);
            moving += (2L * expanded) + (2L * pointwise);
            inChannels = pointwise;
        }

        int last = alpha > 1 ? Divisible(1280 * alpha) : 1280;
        total += ((long)inChannels * last) + (4L * last);
        moving += 2L * last;
        if (top)
        {
            total += ((long)last * classes) + classes;
        }

        return (total, moving);
    }

    // Python's f"{alpha:0.2f}", rounding the double's exact value with ties to even: 0.125 and 0.625 are exact ties
    // (0.12, 0.62), 2.675 and 1.005 are stored just below their halves (2.67, 1.00), 0.375 rounds to the even 0.38.
    [Theory]
    [InlineData(0.125, "0.12")]
    [InlineData(0.625, "0.62")]
    [InlineData(0.375, "0.38")]
    [InlineData(2.675, "2.67")]
    [InlineData(1.005, "1.00")]
    [InlineData(0.35, "0.35")]
    [InlineData(1.4, "1.40")]
    public void ModelName_FormatsAlphaAsPython(double alpha, string expected) =>
        Assert.Equal(expected, NeuralNet.Applications.ApplicationChecks.TwoDecimals(alpha));

    [Fact]
    public void MobileNetV2_Default_HasKerasPublishedParameterCounts()
    {
        Assert.Equal((3_538_984, 34_112), Count(1.0, top: true, 1000));   // the count written out agrees with Keras' numbers

        Functional model = KerasApplications.MobileNetV2();

        Assert.Equal("mobilenetv2_1.00_224", model.Name);
        Assert.Equal(3_538_984, model.ParameterCount);            // keras.io's table
        Assert.Equal(3_504_872, model.TrainableParameterCount);   // Keras' summary: non-trainable 34,112
        Assert.Equal(156, model.Layers.Count);
        Assert.Equal(new TensorShape(1000), model.OutputShape);
    }

    [Theory]
    [InlineData(0.35)]
    [InlineData(0.5)]
    [InlineData(0.75)]
    [InlineData(1.3)]
    [InlineData(1.4)]
    public void MobileNetV2_Alpha_ScalesTheFiltersAsKerasDoes(double alpha)
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) }, alpha);
        var (total, moving) = Count(alpha, top: false, 0);

        Assert.Equal(total, model.ParameterCount);
        Assert.Equal(total - moving, model.TrainableParameterCount);
        Assert.Equal(Divisible(32 * alpha), ((Conv2D)model.GetLayer("Conv1")).Filters);
        Assert.Equal(alpha > 1 ? Divisible(1280 * alpha) : 1280, ((Conv2D)model.GetLayer("Conv_1")).Filters);
        Assert.Equal($"mobilenetv2_{alpha.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}_32", model.Name);
    }

    [Fact]
    public void MobileNetV2_Alpha035_HasKerasChannelCounts()
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(96, 96, 3) }, 0.35);

        // _make_divisible(11.2, 8) = 8 is more than 10 % below 11.2, so Conv1 has 16 filters; 16 * 0.35 = 5.6 -> 8.
        Assert.Equal(16, ((Conv2D)model.GetLayer("Conv1")).Filters);
        Assert.Equal(8, ((Conv2D)model.GetLayer("expanded_conv_project")).Filters);
        Assert.Equal(48, ((Conv2D)model.GetLayer("block_1_expand")).Filters);
        Assert.Equal(112, ((Conv2D)model.GetLayer("block_16_project")).Filters);
        Assert.Equal("mobilenetv2_0.35_96", model.Name);
        Assert.Equal(410_208, model.ParameterCount);   // Keras' summary of MobileNetV2(alpha=0.35, include_top=False)
    }

    [Fact]
    public void MobileNetV2_Layers_AreInKerasOrderWithKerasNames()
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        Assert.Equal(
            ["Conv1", "bn_Conv1", "Conv1_relu",
             "expanded_conv_depthwise", "expanded_conv_depthwise_BN", "expanded_conv_depthwise_relu", "expanded_conv_project", "expanded_conv_project_BN",
             "block_1_expand", "block_1_expand_BN", "block_1_expand_relu", "block_1_pad", "block_1_depthwise", "block_1_depthwise_BN",
             "block_1_depthwise_relu", "block_1_project", "block_1_project_BN",
             "block_2_expand", "block_2_expand_BN", "block_2_expand_relu", "block_2_depthwise", "block_2_depthwise_BN",
             "block_2_depthwise_relu", "block_2_project", "block_2_project_BN", "block_2_add",
             "block_3_expand"],
            ApplicationTestSupport.Names(model, "Conv1", 27));
        Assert.Equal(["block_16_project_BN", "Conv_1", "Conv_1_bn", "out_relu"], ApplicationTestSupport.Names(model, "block_16_project_BN", 4));
        Assert.Equal(154, model.Layers.Count);

        // Residual adds exactly where Keras adds them: same channels in and out, stride 1.
        Assert.Equal(
            ["block_2_add", "block_4_add", "block_5_add", "block_7_add", "block_8_add", "block_9_add", "block_11_add", "block_12_add", "block_14_add", "block_15_add"],
            model.Layers.OfType<Add>().Select(l => l.Name));
        Assert.Equal(["block_1_pad", "block_3_pad", "block_6_pad", "block_13_pad"], model.Layers.OfType<ZeroPadding2D>().Select(l => l.Name));
    }

    [Fact]
    public void MobileNetV2_Layers_HaveKerasHyperparameters()
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(54, 54, 3) });

        foreach (BatchNormalization norm in model.Layers.OfType<BatchNormalization>())
        {
            Assert.Equal((1e-3f, 0.999f), (norm.Epsilon, norm.Momentum));
        }

        foreach (ReLU relu in model.Layers.OfType<ReLU>())
        {
            Assert.Equal(6f, relu.MaxValue);
        }

        Assert.All(model.Layers.OfType<Conv2D>(), c => Assert.False(c.UseBias));
        Assert.All(model.Layers.OfType<DepthwiseConv2D>(), c => Assert.False(c.UseBias));
        var stem = (Conv2D)model.GetLayer("Conv1");
        Assert.Equal(((3, 3), (2, 2), Padding.Same), (stem.KernelSize, stem.Strides, stem.Padding));
        var strided = (DepthwiseConv2D)model.GetLayer("block_1_depthwise");
        Assert.Equal(((2, 2), Padding.Valid), (strided.Strides, strided.Padding));
        Assert.Equal(Padding.Same, ((DepthwiseConv2D)model.GetLayer("block_2_depthwise")).Padding);

        // correct_pad: 54 -> Conv1 -> 27 (odd), padded 1 on each side; 14 (even) before block 3, padded (0, 1).
        Assert.Equal(((1, 1), (1, 1)), ((ZeroPadding2D)model.GetLayer("block_1_pad")).Padding);
        Assert.Equal(((0, 1), (0, 1)), ((ZeroPadding2D)model.GetLayer("block_3_pad")).Padding);
        Assert.Equal(new TensorShape(14, 14, 24), model.GetLayer("block_2_add").OutputShape);
    }

    [Theory]
    [InlineData(32, 1)]
    [InlineData(96, 3)]
    public void MobileNetV2_WithoutTop_OutputShapeFollowsTheInput(int side, int expected)
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(side, side, 3) });

        Assert.Equal(new TensorShape(expected, expected, 1280), model.OutputShape);
        Assert.Equal(2_257_984, model.ParameterCount);   // 3,538,984 less predictions (1280 x 1000 + 1000)
    }

    [Theory]
    [InlineData(ApplicationPooling.Average, typeof(GlobalAveragePooling2D))]
    [InlineData(ApplicationPooling.Max, typeof(GlobalMaxPooling2D))]
    public void MobileNetV2_Pooling_EndsWithGlobalPooling(ApplicationPooling pooling, Type type)
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Pooling = pooling });

        Assert.Equal(new TensorShape(1280), model.OutputShape);
        Assert.IsType(type, model.Layers[^1]);
    }

    [Fact]
    public void MobileNetV2_PoolingIgnoredWithTop_AsInKeras()
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3), Pooling = ApplicationPooling.Max, Classes = 5 });

        Assert.IsType<GlobalAveragePooling2D>(model.Layers[^2]);
        Assert.Equal(new TensorShape(5), model.OutputShape);
    }

    [Fact]
    public void MobileNetV2_OneTrainingStep_AtSmallSize_GivesFiniteGradientsAndMovesWeights()
    {
        Functional model = KerasApplications.MobileNetV2(ApplicationTestSupport.SmallClassifier(32), alpha: 0.35);

        Assert.Equal(Count(0.35, top: true, 3).Total, model.ParameterCount);
        ApplicationTestSupport.TrainOneStep(model, 32);
    }

    [Fact]
    public void MobileNetV2_TrainStepAfterWarmUp_AllocatesNothing()
    {
        Functional model = KerasApplications.MobileNetV2(ApplicationTestSupport.SmallClassifier(32), alpha: 0.35);
        model.Compile(new NeuralNet.Optimizers.Adam(), new NeuralNet.Losses.CategoricalCrossEntropy());
        Tensor x = ImageNetPreprocessing.Tf(Tensor.RandomUniform(new TensorShape(4, 32, 32, 3), 3, 0f, 255f));
        Tensor y = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0 }, 4, 3);

        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }
}
