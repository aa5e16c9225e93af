using NeuralNet.Activations;
using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' keras/src/applications/convnext.py; counts from keras.io/api/applications and model.summary().
public class ConvNeXtTests
{
    // The builder's table, which the public methods build from; ConvNeXtBuilder_Configs_AreKerasModelConfigs checks it.
    private static long Count(string variant, bool top, int classes) =>
        Count(ConvNeXtBuilder.Configs[variant].Depths, ConvNeXtBuilder.Configs[variant].Dims, top, classes);

    // The parameters convnext.py creates, written out: the 4x4 stem convolution with bias and its layer normalization;
    // per downsampling a layer normalization and a 2x2 convolution with bias; per block a 7x7 convolution grouped per
    // channel (kernel (7, 7, 1, d) and bias), a layer normalization, Dense d -> 4d and 4d -> d with biases, LayerScale's
    // gamma; the last layer normalization (head or not) and the head's Dense. All trainable (no batch normalization; the
    // Normalization layer holds its given mean and variance as constants, not weights).
    private static long Count(int[] depths, int[] dims, bool top, int classes)
    {
        long total = (4 * 4 * 3 * dims[0]) + dims[0] + (2 * dims[0]);
        for (int stage = 0; stage < 4; stage++)
        {
            long d = dims[stage];
            if (stage > 0)
            {
                long previous = dims[stage - 1];
                total += (2 * previous) + (2 * 2 * previous * d) + d;
            }

            total += depths[stage] * ((49 * d) + d + (2 * d) + (d * 4 * d) + (4 * d) + (4 * d * d) + d + d);
        }

        total += 2L * dims[3];
        return top ? total + ((long)dims[3] * classes) + classes : total;
    }

    [Fact]
    public void ConvNeXtBuilder_Configs_AreKerasModelConfigs()
    {
        // convnext.py's MODEL_CONFIGS: depths and projection_dims.
        Assert.Equal(["tiny", "small", "base", "large", "xlarge"], ConvNeXtBuilder.Configs.Keys);
        Assert.Equal([3, 3, 9, 3], ConvNeXtBuilder.Configs["tiny"].Depths);
        Assert.Equal([96, 192, 384, 768], ConvNeXtBuilder.Configs["tiny"].Dims);
        Assert.Equal([3, 3, 27, 3], ConvNeXtBuilder.Configs["small"].Depths);
        Assert.Equal([96, 192, 384, 768], ConvNeXtBuilder.Configs["small"].Dims);
        Assert.Equal([3, 3, 27, 3], ConvNeXtBuilder.Configs["base"].Depths);
        Assert.Equal([128, 256, 512, 1024], ConvNeXtBuilder.Configs["base"].Dims);
        Assert.Equal([3, 3, 27, 3], ConvNeXtBuilder.Configs["large"].Depths);
        Assert.Equal([192, 384, 768, 1536], ConvNeXtBuilder.Configs["large"].Dims);
        Assert.Equal([3, 3, 27, 3], ConvNeXtBuilder.Configs["xlarge"].Depths);
        Assert.Equal([256, 512, 1024, 2048], ConvNeXtBuilder.Configs["xlarge"].Dims);
    }

    [Fact]
    public void ConvNeXtTiny_Default_HasKerasPublishedParameterCounts()
    {
        Assert.Equal(28_589_128, Count("tiny", top: true, 1000));   // the count written out agrees with Keras' number

        Functional model = KerasApplications.ConvNeXtTiny();

        Assert.Equal("convnext_tiny", model.Name);
        Assert.Equal(new TensorShape(1000), model.OutputShape);
        Assert.Equal(28_589_128, model.ParameterCount);            // keras.io's table (28.6M), Keras' summary
        Assert.Equal(28_589_128, model.TrainableParameterCount);
        // Input, normalization, stem 2, 18 blocks of 8 (with the residual add), 3 downsamplings of 2, head 3.
        Assert.Equal(1 + 1 + 2 + (18 * 8) + (3 * 2) + 3, model.Layers.Count);
        Assert.Equal(ActivationFunction.Softmax, ((Dense)model.GetLayer("convnext_tiny_head_dense")).Activation);
    }

    [Fact]
    public void ConvNeXtSmall_HasKerasParameterCounts()
    {
        Assert.Equal(50_223_688, Count("small", top: true, 1000));   // keras.io's table: 50.2M
        Assert.Equal(49_454_688, Count("small", top: false, 0));

        Functional model = KerasApplications.ConvNeXtSmall(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        Assert.Equal("convnext_small", model.Name);
        Assert.Equal(49_454_688, model.ParameterCount);
        Assert.Contains(model.Layers, l => l.Name == "convnext_small_stage_2_block_26_layer_scale");
        Assert.Equal(new TensorShape(1, 1, 768), model.OutputShape);
    }

    [Fact]
    public void ConvNeXtBaseLargeAndXLarge_KerasCountsFollowFromTheBuildersTable()
    {
        // Not built here (87.6M to 350.2M parameters: 0.7 to 2.8 GB with gradients); the table they are built from is
        // checked against Keras' MODEL_CONFIGS above, and Tiny and Small show that the builder follows it.
        Assert.Equal(88_591_464, Count("base", top: true, 1000));        // keras.io: 88.5M
        Assert.Equal(87_566_464, Count("base", top: false, 0));
        Assert.Equal(197_767_336, Count("large", top: true, 1000));      // keras.io: 197.8M
        Assert.Equal(350_196_968, Count("xlarge", top: true, 1000));     // keras.io: 350.1M
    }

    [Fact]
    public void ConvNeXtTiny_Layers_AreInKerasOrderWithKerasNames()
    {
        Functional model = KerasApplications.ConvNeXtTiny(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3) });

        Assert.Equal(
            ["convnext_tiny_prestem_normalization", "convnext_tiny_stem_conv", "convnext_tiny_stem_layernorm",
             "convnext_tiny_stage_0_block_0_depthwise_conv", "convnext_tiny_stage_0_block_0_layernorm", "convnext_tiny_stage_0_block_0_pointwise_conv_1",
             "convnext_tiny_stage_0_block_0_gelu", "convnext_tiny_stage_0_block_0_pointwise_conv_2", "convnext_tiny_stage_0_block_0_layer_scale",
             "convnext_tiny_stage_0_block_0_identity", "add", "convnext_tiny_stage_0_block_1_depthwise_conv"],
            ApplicationTestSupport.Names(model, "convnext_tiny_prestem_normalization", 12));
        Assert.Equal(
            ["add_2", "convnext_tiny_downsampling_layernorm_0", "convnext_tiny_downsampling_conv_0", "convnext_tiny_stage_1_block_0_depthwise_conv"],
            ApplicationTestSupport.Names(model, "add_2", 4));
        Assert.Equal(["add_17", "convnext_tiny_head_gap", "convnext_tiny_head_layernorm", "convnext_tiny_head_dense"], ApplicationTestSupport.Names(model, "add_17", 4));

        // A block's weights in Keras' order: kernel, bias; gamma, beta; kernel, bias; kernel, bias; gamma.
        string[] block = [.. model.Layers.Where(l => l.Name.StartsWith("convnext_tiny_stage_3_block_2_", StringComparison.Ordinal))
            .SelectMany(l => l.Parameters.Select(p => $"{p.Name}{p.Value.Shape}"))];
        Assert.Equal(["kernel(7, 7, 1, 768)", "bias(768,)", "gamma(768,)", "beta(768,)", "kernel(768, 3072)", "bias(3072,)", "kernel(3072, 768)", "bias(768,)", "gamma(768,)"], block);
    }

    [Fact]
    public void ConvNeXtTiny_Layers_HaveKerasHyperparameters()
    {
        Functional model = KerasApplications.ConvNeXtTiny(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(64, 64, 3) });

        foreach (LayerNormalization norm in model.Layers.OfType<LayerNormalization>())
        {
            Assert.Equal(1e-6f, norm.Epsilon);
        }

        var prestem = (Normalization)model.GetLayer("convnext_tiny_prestem_normalization");
        // Keras' PreStem: mean 0.485 * 255 ..., variance (0.229 * 255) ** 2 ..., by hand: 123.675, 116.28, 103.53;
        // 58.395² = 3409.976, 57.12² = 3262.6944, 57.375² = 3291.890625.
        Assert.Equal([123.675f, 116.28f, 103.53f], prestem.GivenMean!);
        Assert.Equal([3409.976f, 3262.6944f, 3291.890625f], prestem.GivenVariance!);
        Assert.Null(prestem.Mean);

        var stem = (Conv2D)model.GetLayer("convnext_tiny_stem_conv");
        Assert.Equal((96, (4, 4), (4, 4), true), (stem.Filters, stem.KernelSize, stem.Strides, stem.UseBias));
        var depthwise = (Conv2D)model.GetLayer("convnext_tiny_stage_1_block_2_depthwise_conv");
        Assert.Equal((192, (7, 7), Padding.Same, 192), (depthwise.Filters, depthwise.KernelSize, depthwise.Padding, depthwise.Groups));
        var down = (Conv2D)model.GetLayer("convnext_tiny_downsampling_conv_2");
        Assert.Equal((768, (2, 2), (2, 2)), (down.Filters, down.KernelSize, down.Strides));
        var scale = (LayerScale)model.GetLayer("convnext_tiny_stage_2_block_8_layer_scale");
        Assert.Equal((1e-6f, 384), (scale.InitValues, scale.ProjectionDim));
        Assert.All(scale.Gamma.Value.ToArray(), g => Assert.Equal(1e-6f, g));
        Assert.Equal(ActivationFunction.Gelu, ((Activation)model.GetLayer("convnext_tiny_stage_0_block_0_gelu")).Function);
        Assert.Equal(ActivationFunction.Linear, ((Activation)model.GetLayer("convnext_tiny_stage_0_block_0_identity")).Function);
        Assert.DoesNotContain(model.Layers, l => l is StochasticDepth);

        // Without top Keras ends with an unnamed layer normalization, whatever the pooling.
        Assert.Equal("layer_normalization", model.Layers[^1].Name);
        Assert.Equal(new TensorShape(2, 2, 768), model.OutputShape);
    }

    [Fact]
    public void ConvNeXt_NameAndPreprocessingOptions_AsInKeras()
    {
        Functional model = KerasApplications.ConvNeXtTiny(
            new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Pooling = ApplicationPooling.Average, Name = "tiny" },
            includePreprocessing: false);

        Assert.Equal("tiny", model.Name);
        Assert.Equal("tiny_stem_conv", model.Layers[1].Name);   // Keras prefixes the layers with the model's name
        Assert.DoesNotContain(model.Layers, l => l is Normalization);
        Assert.IsType<GlobalAveragePooling2D>(model.Layers[^2]);
        Assert.Equal(new TensorShape(768), model.OutputShape);

        // Keras adds the PreStem only for 3 channels.
        Functional gray = KerasApplications.ConvNeXtTiny(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 1) });
        Assert.DoesNotContain(gray.Layers, l => l is Normalization);
    }

    [Fact]
    public void ConvNeXtTiny_OneTrainingStep_AtSmallSize_GivesFiniteGradientsAndMovesWeights()
    {
        Functional model = KerasApplications.ConvNeXtTiny(ApplicationTestSupport.SmallClassifier(32));

        Assert.Equal(Count("tiny", top: true, 3), model.ParameterCount);
        ApplicationTestSupport.TrainOneStep(model, 32);
    }

    [Fact]
    public void ConvNeXtTiny_TrainStepAfterWarmUp_AllocatesNothing()
    {
        Functional model = KerasApplications.ConvNeXtTiny(ApplicationTestSupport.SmallClassifier(32));
        model.Compile(new NeuralNet.Optimizers.Adam(), new NeuralNet.Losses.CategoricalCrossEntropy());
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), 3, 0f, 255f);
        Tensor y = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0 }, 2, 3);

        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }
}
