using NeuralNet.Activations;
using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' keras/src/applications/mobilenet_v3.py; counts from keras.io/api/applications and model.summary().
public class MobileNetV3Tests
{
    // (expansion, filters, kernel (0: 5, or 3 when minimalistic), stride, squeeze and excite) of Keras' stack_fn.
    private static readonly (double E, int F, int K, int S, bool Se)[] Small =
    [
        (1, 16, 3, 2, true), (72.0 / 16, 24, 3, 2, false), (88.0 / 24, 24, 3, 1, false), (4, 40, 0, 2, true), (6, 40, 0, 1, true),
        (6, 40, 0, 1, true), (3, 48, 0, 1, true), (3, 48, 0, 1, true), (6, 96, 0, 2, true), (6, 96, 0, 1, true), (6, 96, 0, 1, true),
    ];

    private static readonly (double E, int F, int K, int S, bool Se)[] Large =
    [
        (1, 16, 3, 1, false), (4, 24, 3, 2, false), (3, 24, 3, 1, false), (3, 40, 0, 2, true), (3, 40, 0, 1, true), (3, 40, 0, 1, true),
        (6, 80, 3, 2, false), (2.5, 80, 3, 1, false), (2.3, 80, 3, 1, false), (2.3, 80, 3, 1, false), (6, 112, 3, 1, true),
        (6, 112, 3, 1, true), (6, 160, 0, 2, true), (6, 160, 0, 1, true), (6, 160, 0, 1, true),
    ];

    // Keras' _depth(v) written out: nearest multiple of 8 (halves up), at least 8, up by 8 if that lost more than 10 %.
    private static int Depth(double v)
    {
        int n = Math.Max(8, (int)Math.Floor((v + 4) / 8) * 8);
        return n < 0.9 * v ? n + 8 : n;
    }

    // The parameters mobilenet_v3.py creates: convolutions without bias except the squeeze-and-excite ones and the top's,
    // 4 weights per batch-normalized channel (2 of them moving statistics).
    private static (long Total, long MovingStatistics) Count((double E, int F, int K, int S, bool Se)[] blocks, int lastPoint, double alpha, bool minimalistic, bool top, int classes)
    {
        long total = (27 * 16) + (4 * 16), moving = 2 * 16;
        int c = 16;
        for (int id = 0; id < blocks.Length; id++)
        {
            var (e, f, k, _, se) = blocks[id];
            int filters = Depth(f * alpha), kernel = k != 0 ? k : minimalistic ? 3 : 5, expanded = Depth(c * e);
            int channels = id == 0 ? c : expanded;
            if (id != 0)
            {
                total += ((long)c * expanded) + (4L * expanded);
                moving += 2L * expanded;
            }

            total += ((long)kernel * kernel * channels) + (4L * channels);
            moving += 2L * channels;
            if (se && !minimalistic)
            {
                int squeezed = Depth(expanded * 0.25);
                total += ((long)expanded * squeezed) + squeezed + ((long)squeezed * expanded) + expanded;
            }

            total += ((long)channels * filters) + (4L * filters);
            moving += 2L * filters;
            c = filters;
        }

        int lastConv = Depth(c * 6);
        lastPoint = alpha > 1 ? Depth(lastPoint * alpha) : lastPoint;
        total += ((long)c * lastConv) + (4L * lastConv);
        moving += 2L * lastConv;
        if (top)
        {
            total += ((long)lastConv * lastPoint) + lastPoint + ((long)lastPoint * classes) + classes;
        }

        return (total, moving);
    }

    [Fact]
    public void MobileNetV3Small_Default_HasKerasPublishedParameterCounts()
    {
        Assert.Equal((2_554_968, 12_112), Count(Small, 1024, 1.0, false, top: true, 1000));   // the count written out agrees with Keras' numbers

        Functional model = KerasApplications.MobileNetV3Small();

        Assert.Equal("MobileNetV3Small", model.Name);
        Assert.Equal(new TensorShape(1000), model.OutputShape);
        Assert.Equal(2_554_968, model.ParameterCount);            // keras.io's table
        Assert.Equal(2_542_856, model.TrainableParameterCount);   // Keras' summary: non-trainable 12,112
        Assert.Equal(ActivationFunction.Softmax, ((Activation)model.GetLayer("predictions")).Function);
    }

    [Fact]
    public void MobileNetV3Large_Default_HasKerasPublishedParameterCounts()
    {
        Assert.Equal((5_507_432, 24_400), Count(Large, 1280, 1.0, false, top: true, 1000));

        Functional model = KerasApplications.MobileNetV3Large();

        Assert.Equal("MobileNetV3Large", model.Name);
        Assert.Equal(5_507_432, model.ParameterCount);            // keras.io's table
        Assert.Equal(5_483_032, model.TrainableParameterCount);   // Keras' summary: non-trainable 24,400
        Assert.Equal(new TensorShape(7, 7, 960), model.GetLayer("conv_1").OutputShape);
    }

    [Theory]
    [InlineData(false, 0.75, false)]
    [InlineData(false, 1.0, true)]
    [InlineData(false, 1.25, false)]
    [InlineData(true, 0.75, false)]
    [InlineData(true, 1.0, true)]
    [InlineData(true, 1.5, false)]
    public void MobileNetV3_AlphaAndMinimalistic_ScaleAsKerasDoes(bool large, double alpha, bool minimalistic)
    {
        var options = new ApplicationOptions { InputShape = new TensorShape(32, 32, 3), Classes = 10 };
        Functional model = large
            ? KerasApplications.MobileNetV3Large(options, alpha, minimalistic)
            : KerasApplications.MobileNetV3Small(options, alpha, minimalistic);
        var (total, moving) = large ? Count(Large, 1280, alpha, minimalistic, true, 10) : Count(Small, 1024, alpha, minimalistic, true, 10);

        Assert.Equal(total, model.ParameterCount);
        Assert.Equal(total - moving, model.TrainableParameterCount);
        Assert.Equal(minimalistic, !model.Layers.OfType<Multiply>().Any());
        Assert.Equal(minimalistic, !model.Layers.OfType<Activation>().Any(a => a.Function == ActivationFunction.HardSilu));
        Assert.All(model.Layers.OfType<DepthwiseConv2D>(), d => Assert.True(d.KernelSize.Height == 3 || (!minimalistic && d.KernelSize.Height == 5)));
    }

    // Literal counts of the published variants (1000 classes, with top), computed from Keras' stack_fn in review, apart
    // from this file's Count and the builder's table: total and non-trainable (moving statistics).
    [Theory]
    [InlineData(false, 0.75, false, 2_051_552, 9_680)]
    [InlineData(true, 0.75, false, 4_012_616, 19_088)]
    [InlineData(false, 1.0, true, 2_056_848, 12_112)]
    [InlineData(true, 1.0, true, 3_948_688, 24_400)]
    public void MobileNetV3_PublishedVariants_HaveLiteralKerasCounts(bool large, double alpha, bool minimalistic, long total, long nonTrainable)
    {
        var options = new ApplicationOptions { InputShape = new TensorShape(32, 32, 3) };
        Functional model = large
            ? KerasApplications.MobileNetV3Large(options, alpha, minimalistic)
            : KerasApplications.MobileNetV3Small(options, alpha, minimalistic);

        Assert.Equal(total, model.ParameterCount);
        Assert.Equal(total - nonTrainable, model.TrainableParameterCount);
        Assert.Equal((total, nonTrainable), large ? Count(Large, 1280, alpha, minimalistic, true, 1000) : Count(Small, 1024, alpha, minimalistic, true, 1000));
    }

    [Fact]
    public void MobileNetV3_WithoutTop_HasKerasCounts()
    {
        var options = new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(224, 224, 3) };

        // Keras' summaries of include_top=False: 939,120 (Small) and 2,996,352 (Large), as written out here.
        Assert.Equal(939_120, Count(Small, 1024, 1.0, false, top: false, 0).Total);
        Assert.Equal(2_996_352, Count(Large, 1280, 1.0, false, top: false, 0).Total);
        Functional small = KerasApplications.MobileNetV3Small(options);
        Functional large = KerasApplications.MobileNetV3Large(options);
        Assert.Equal(939_120, small.ParameterCount);
        Assert.Equal(2_996_352, large.ParameterCount);
        Assert.Equal(new TensorShape(7, 7, 576), small.OutputShape);
        Assert.Equal(new TensorShape(7, 7, 960), large.OutputShape);
    }

    [Fact]
    public void MobileNetV3Small_Layers_AreInKerasOrderWithKerasNames()
    {
        Functional model = KerasApplications.MobileNetV3Small(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3) });

        // From mobilenet_v3.py: unnamed layers get Keras' automatic names (re_lu, activation, ...), and the hard sigmoid's
        // x + 3 and * (1 / 6) are named as Keras names those operations (add, multiply).
        Assert.Equal(
            ["rescaling", "conv", "conv_bn", "activation",
             "expanded_conv_depthwise_pad", "expanded_conv_depthwise", "expanded_conv_depthwise_bn", "re_lu",
             "expanded_conv_squeeze_excite_avg_pool", "expanded_conv_squeeze_excite_conv", "expanded_conv_squeeze_excite_relu",
             "expanded_conv_squeeze_excite_conv_1", "add", "re_lu_1", "multiply", "expanded_conv_squeeze_excite_mul",
             "expanded_conv_project", "expanded_conv_project_bn",
             "expanded_conv_1_expand", "expanded_conv_1_expand_bn", "re_lu_2", "expanded_conv_1_depthwise_pad", "expanded_conv_1_depthwise",
             "expanded_conv_1_depthwise_bn", "re_lu_3", "expanded_conv_1_project", "expanded_conv_1_project_bn",
             "expanded_conv_2_expand", "expanded_conv_2_expand_bn", "re_lu_4", "expanded_conv_2_depthwise", "expanded_conv_2_depthwise_bn",
             "re_lu_5", "expanded_conv_2_project", "expanded_conv_2_project_bn", "expanded_conv_2_add",
             "expanded_conv_3_expand", "expanded_conv_3_expand_bn", "activation_1", "expanded_conv_3_depthwise_pad"],
            ApplicationTestSupport.Names(model, "rescaling", 40));
        Assert.Equal(
            ["expanded_conv_10_add", "conv_1", "conv_1_bn", "activation_17", "global_average_pooling2d", "conv_2", "activation_18",
             "dropout", "logits", "flatten", "predictions"],
            ApplicationTestSupport.Names(model, "expanded_conv_10_add", 11));

        // Per block, written out from stack_fn: expand 3 (not block 0), pad 1 (stride 2), depthwise 3, squeeze and excite 8
        // (6 layers and Keras' 2 operations), project 2, add 1 (stride 1, same filters). Input 1, stem 4, blocks 0-2:
        // 14, 9, 9; blocks 3-10: 17, 17, 17, 16 (40 -> 48, no add), 17, 17, 17, 17; conv_1 3, top 7.
        Assert.Equal(1 + 4 + 14 + 9 + 9 + (7 * 17) + 16 + 3 + 7, model.Layers.Count);
        Assert.Equal(9, model.Layers.OfType<Multiply>().Count());
        Assert.Equal(
            ["expanded_conv_2_add", "expanded_conv_4_add", "expanded_conv_5_add", "expanded_conv_7_add", "expanded_conv_9_add", "expanded_conv_10_add"],
            model.Layers.OfType<Add>().Select(l => l.Name));
    }

    [Fact]
    public void MobileNetV3Small_Layers_HaveKerasHyperparameters()
    {
        Functional model = KerasApplications.MobileNetV3Small(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3) });

        foreach (BatchNormalization norm in model.Layers.OfType<BatchNormalization>())
        {
            Assert.Equal((1e-3f, 0.999f), (norm.Epsilon, norm.Momentum));
        }

        var rescaling = (Rescaling)model.GetLayer("rescaling");
        Assert.Equal((1f / 127.5f, -1f), (rescaling.Scale, rescaling.Offset));
        var stem = (Conv2D)model.GetLayer("conv");
        Assert.Equal((16, (3, 3), (2, 2), Padding.Same, false), (stem.Filters, stem.KernelSize, stem.Strides, stem.Padding, stem.UseBias));

        // Squeeze and excite: a quarter of the expanded channels rounded by _depth, with biases; 96 x 6 = 576 -> 144.
        Assert.Equal(8, ((Conv2D)model.GetLayer("expanded_conv_squeeze_excite_conv")).Filters);
        Assert.Equal(144, ((Conv2D)model.GetLayer("expanded_conv_10_squeeze_excite_conv")).Filters);
        Assert.Equal(576, ((Conv2D)model.GetLayer("expanded_conv_10_squeeze_excite_conv_1")).Filters);
        Assert.True(((Conv2D)model.GetLayer("expanded_conv_10_squeeze_excite_conv")).UseBias);
        Assert.True(((GlobalAveragePooling2D)model.GetLayer("expanded_conv_squeeze_excite_avg_pool")).KeepDims);
        var add = (ScalarArithmetic)model.GetLayer("add");
        Assert.Equal((ArithmeticOperator.Add, 3f), (add.Operator, add.Constant));
        var scale = (ScalarArithmetic)model.GetLayer("multiply_8");
        Assert.Equal((ArithmeticOperator.Multiply, (float)(1.0 / 6.0)), (scale.Operator, scale.Constant));
        Assert.Equal(6f, ((ReLU)model.GetLayer("re_lu_1")).MaxValue);
        Assert.Null(((ReLU)model.GetLayer("re_lu")).MaxValue);

        // Expansions 72 / 16 and 88 / 24 of 16 and 24 channels give 72 and 88 filters; 5x5 kernels from block 3 on.
        Assert.Equal(72, ((Conv2D)model.GetLayer("expanded_conv_1_expand")).Filters);
        Assert.Equal(88, ((Conv2D)model.GetLayer("expanded_conv_2_expand")).Filters);
        var strided = (DepthwiseConv2D)model.GetLayer("expanded_conv_3_depthwise");
        Assert.Equal(((5, 5), (2, 2), Padding.Valid), (strided.KernelSize, strided.Strides, strided.Padding));
        Assert.Equal(((5, 5), Padding.Same), (((DepthwiseConv2D)model.GetLayer("expanded_conv_4_depthwise")).KernelSize, ((DepthwiseConv2D)model.GetLayer("expanded_conv_4_depthwise")).Padding));

        // correct_pad: 32 -> conv -> 16 (even) padded (0, 1) for the 3x3 kernel; 4 before block 3's 5x5 padded (1, 2).
        Assert.Equal(((0, 1), (0, 1)), ((ZeroPadding2D)model.GetLayer("expanded_conv_depthwise_pad")).Padding);
        Assert.Equal(((1, 2), (1, 2)), ((ZeroPadding2D)model.GetLayer("expanded_conv_3_depthwise_pad")).Padding);

        // The top: 1x1 convolutions with biases on the kept 1x1 pixel, dropout 0.2, flattened logits.
        var top = (Conv2D)model.GetLayer("conv_2");
        Assert.Equal((1024, (1, 1), true), (top.Filters, top.KernelSize, top.UseBias));
        Assert.Equal(new TensorShape(1, 1, 1000), model.GetLayer("logits").OutputShape);
        Assert.Equal(0.2, ((Dropout)model.GetLayer("dropout")).Rate, 12);
        Assert.Equal(ActivationFunction.HardSilu, ((Activation)model.GetLayer("activation_18")).Function);
    }

    [Fact]
    public void MobileNetV3_OptionsOfTheTop_AsInKeras()
    {
        var options = new ApplicationOptions { InputShape = new TensorShape(32, 32, 3), Classes = 4, ClassifierActivation = null };

        Functional noDropout = KerasApplications.MobileNetV3Small(options, dropoutRate: 0, includePreprocessing: false);

        Assert.DoesNotContain(noDropout.Layers, l => l is Dropout or Rescaling);
        Assert.Equal(ActivationFunction.Linear, ((Activation)noDropout.GetLayer("predictions")).Function);
        Assert.Equal(new TensorShape(4), noDropout.OutputShape);

        Functional pooled = KerasApplications.MobileNetV3Large(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Pooling = ApplicationPooling.Max });
        Assert.Equal("max_pool", pooled.Layers[^1].Name);
        Assert.Equal(new TensorShape(960), pooled.OutputShape);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void MobileNetV3_BadDropoutRate_ThrowsNamingIt(double rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KerasApplications.MobileNetV3Small(dropoutRate: rate));

        Assert.Contains("MobileNetV3Small expects dropoutRate in [0, 1).", e.Message);
    }

    [Fact]
    public void MobileNetV3_BadAlpha_ThrowsNamingIt()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KerasApplications.MobileNetV3Large(alpha: 0));

        Assert.Contains("MobileNetV3Large expects a positive, finite width multiplier. Received: alpha=0.", e.Message);
    }

    [Fact]
    public void MobileNetV3Small_OneTrainingStep_AtSmallSize_GivesFiniteGradientsAndMovesWeights()
    {
        Functional model = KerasApplications.MobileNetV3Small(ApplicationTestSupport.SmallClassifier(32));

        Assert.Equal(Count(Small, 1024, 1.0, false, true, 3).Total, model.ParameterCount);
        ApplicationTestSupport.TrainOneStep(model, 32);
    }

    [Fact]
    public void MobileNetV3Large_TrainStepAfterWarmUp_AllocatesNothing()
    {
        Functional model = KerasApplications.MobileNetV3Large(ApplicationTestSupport.SmallClassifier(32), alpha: 0.75);
        model.Compile(new NeuralNet.Optimizers.Adam(), new NeuralNet.Losses.CategoricalCrossEntropy());
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), 3, 0f, 255f);
        Tensor y = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0 }, 2, 3);

        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }
}
