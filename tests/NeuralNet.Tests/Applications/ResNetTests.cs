using NeuralNet.Activations;
using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' keras/src/applications/resnet.py; counts from keras.io/api/applications and model.summary().
public class ResNetTests
{
    // Parameters of one identity block of filters f on 4f channels: three convolutions with biases and four
    // batch-normalization weights per channel (gamma, beta, moving mean, moving variance), from residual_block_v1.
    private static long IdentityBlock(long f) => (4 * f * f + f) + (4 * f) + (9 * f * f + f) + (4 * f) + (f * 4 * f + 4 * f) + (4 * 4 * f);

    private static long IdentityBlockMovingStatistics(long f) => 2 * (f + f + (4 * f));

    [Fact]
    public void ResNet50_Default_HasKerasPublishedParameterCounts()
    {
        Functional model = KerasApplications.ResNet50();

        Assert.Equal("resnet50", model.Name);
        Assert.Equal(new TensorShape(224, 224, 3), model.Inputs[0].Shape);
        Assert.Equal(new TensorShape(1000), model.OutputShape);
        Assert.Equal(25_636_712, model.ParameterCount);           // keras.io's table
        Assert.Equal(25_583_592, model.TrainableParameterCount);  // Keras' summary: non-trainable 53,120
        Assert.Equal(177, model.Layers.Count);                    // len(model.layers), the input layer included
        Assert.Equal(ActivationFunction.Softmax, ((Dense)model.GetLayer("predictions")).Activation);
    }

    [Fact]
    public void ResNet50_WithoutTop_DropsOnlyThePredictionsLayer()
    {
        Functional model = KerasApplications.ResNet50(new ApplicationOptions { IncludeTop = false });

        Assert.Equal(25_636_712 - ((2048 * 1000) + 1000), model.ParameterCount);   // 23,587,712
        Assert.Equal(new TensorShape(7, 7, 2048), model.OutputShape);
        Assert.Equal(175, model.Layers.Count);
        Assert.Equal("conv5_block3_out", model.Layers[^1].Name);
    }

    [Fact]
    public void ResNet101And152_DifferFromResNet50ByTheirExtraBlocks()
    {
        // ResNet101 has 17 more identity blocks in conv4 (23 instead of 6); ResNet152 4 more in conv3 and 30 more in conv4.
        long resNet101 = 25_636_712 + (17 * IdentityBlock(256));
        long resNet152 = 25_636_712 + (4 * IdentityBlock(128)) + (30 * IdentityBlock(256));
        Assert.Equal(44_707_176, resNet101);   // keras.io's table
        Assert.Equal(60_419_944, resNet152);

        Functional model101 = KerasApplications.ResNet101(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3) });
        Assert.Equal("resnet101", model101.Name);
        Assert.Equal(resNet101, model101.ParameterCount);
        Assert.Equal(53_120 + (17 * IdentityBlockMovingStatistics(256)), model101.ParameterCount - model101.TrainableParameterCount);
        Assert.Equal("conv4_block23_out", ApplicationTestSupport.Names(model101, "conv4_block23_out", 1)[0]);

        Functional model152 = KerasApplications.ResNet152(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3) });
        Assert.Equal("resnet152", model152.Name);
        Assert.Equal(resNet152, model152.ParameterCount);
        Assert.Equal(53_120 + (4 * IdentityBlockMovingStatistics(128)) + (30 * IdentityBlockMovingStatistics(256)),
            model152.ParameterCount - model152.TrainableParameterCount);
        Assert.Contains(model152.Layers, l => l.Name == "conv3_block8_out");
        Assert.Contains(model152.Layers, l => l.Name == "conv4_block36_out");
    }

    [Fact]
    public void ResNet50_Layers_AreInKerasOrder()
    {
        Functional model = KerasApplications.ResNet50(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        // Keras' model.layers (and the layer_names of its published weights files): the shortcut's convolution comes
        // after the main branch's second ReLU, and the two batch normalizations of the block's last depth side by side.
        Assert.Equal(
            ["conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool",
             "conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu",
             "conv2_block1_2_conv", "conv2_block1_2_bn", "conv2_block1_2_relu",
             "conv2_block1_0_conv", "conv2_block1_3_conv", "conv2_block1_0_bn", "conv2_block1_3_bn",
             "conv2_block1_add", "conv2_block1_out",
             "conv2_block2_1_conv", "conv2_block2_1_bn", "conv2_block2_1_relu",
             "conv2_block2_2_conv", "conv2_block2_2_bn", "conv2_block2_2_relu",
             "conv2_block2_3_conv", "conv2_block2_3_bn", "conv2_block2_add", "conv2_block2_out"],
            ApplicationTestSupport.Names(model, "conv1_pad", 28));
        Assert.IsType<InputLayer>(model.Layers[0]);
        Assert.Equal(
            ["conv3_block1_1_conv", "conv3_block1_1_bn", "conv3_block1_1_relu", "conv3_block1_2_conv", "conv3_block1_2_bn",
             "conv3_block1_2_relu", "conv3_block1_0_conv", "conv3_block1_3_conv", "conv3_block1_0_bn", "conv3_block1_3_bn",
             "conv3_block1_add", "conv3_block1_out"],
            ApplicationTestSupport.Names(model, "conv3_block1_1_conv", 12));
    }

    [Fact]
    public void ResNet50_Layers_HaveKerasHyperparameters()
    {
        Functional model = KerasApplications.ResNet50(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        Assert.Equal(((3, 3), (3, 3)), ((ZeroPadding2D)model.GetLayer("conv1_pad")).Padding);
        var stem = (Conv2D)model.GetLayer("conv1_conv");
        Assert.Equal((64, (7, 7), (2, 2), Padding.Valid, true), (stem.Filters, stem.KernelSize, stem.Strides, stem.Padding, stem.UseBias));
        Assert.Equal(((1, 1), (1, 1)), ((ZeroPadding2D)model.GetLayer("pool1_pad")).Padding);
        var pool = (MaxPooling2D)model.GetLayer("pool1_pool");
        Assert.Equal(((3, 3), (2, 2), Padding.Valid), (pool.PoolSize, pool.Strides, pool.Padding));
        foreach (BatchNormalization norm in model.Layers.OfType<BatchNormalization>())
        {
            Assert.Equal((1.001e-5f, 0.99f), (norm.Epsilon, norm.Momentum));
        }

        // The stride of conv3..conv5 is on the first block's 1x1 convolutions, the 3x3 one is 'same' with stride 1.
        var first = (Conv2D)model.GetLayer("conv3_block1_1_conv");
        var shortcut = (Conv2D)model.GetLayer("conv3_block1_0_conv");
        var middle = (Conv2D)model.GetLayer("conv3_block1_2_conv");
        Assert.Equal(((2, 2), (2, 2), (1, 1), Padding.Same), (first.Strides, shortcut.Strides, middle.Strides, middle.Padding));
        Assert.Equal((128, 512, 512), (first.Filters, shortcut.Filters, ((Conv2D)model.GetLayer("conv3_block1_3_conv")).Filters));
        Assert.Equal((1, 1), ((Conv2D)model.GetLayer("conv2_block1_0_conv")).Strides);
        Assert.Equal(ActivationFunction.Relu, ((Activation)model.GetLayer("conv5_block3_out")).Function);
    }

    [Theory]
    [InlineData(32, 1)]
    [InlineData(96, 3)]
    [InlineData(75, 3)]
    public void ResNet50_WithoutTop_OutputShapeFollowsTheInput(int side, int expected)
    {
        Functional model = KerasApplications.ResNet50(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(side, side, 3) });

        Assert.Equal(new TensorShape(expected, expected, 2048), model.OutputShape);
    }

    [Theory]
    [InlineData(ApplicationPooling.Average, "avg_pool", typeof(GlobalAveragePooling2D))]
    [InlineData(ApplicationPooling.Max, "max_pool", typeof(GlobalMaxPooling2D))]
    public void ResNet50_Pooling_EndsWithKerasNamedPooling(ApplicationPooling pooling, string name, Type type)
    {
        Functional model = KerasApplications.ResNet50(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Pooling = pooling });

        Assert.Equal(new TensorShape(2048), model.OutputShape);
        Assert.Equal(name, model.Layers[^1].Name);
        Assert.IsType(type, model.Layers[^1]);
        Assert.Equal(23_587_712, model.ParameterCount);
    }

    [Fact]
    public void ResNet50_OneTrainingStep_AtSmallSize_GivesFiniteGradientsAndMovesWeights()
    {
        Functional model = KerasApplications.ResNet50(ApplicationTestSupport.SmallClassifier(32));

        Assert.Equal(25_636_712 - (2048 * 997) - 997, model.ParameterCount);
        ApplicationTestSupport.TrainOneStep(model, 32);
    }

    [Fact]
    public void ResNet50_ClassifierActivationNull_ReturnsLogits()
    {
        Functional model = KerasApplications.ResNet50(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3), Classes = 4, ClassifierActivation = null });

        Assert.Equal(ActivationFunction.Linear, ((Dense)model.GetLayer("predictions")).Activation);
        Tensor logits = model.Predict(Tensor.RandomNormal(new TensorShape(1, 32, 32, 3), seed: 3));
        float sum = logits.ToArray().Sum();
        Assert.NotEqual(1f, sum, 3);
    }

    [Fact]
    public void ResNet50_SameSeed_SameWeights()
    {
        var options = new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Seed = 42 };
        Functional a = KerasApplications.ResNet50(options), b = KerasApplications.ResNet50(options);

        Assert.Equal(a.GetLayer("conv4_block2_2_conv").Parameters[0].Value.ToArray(), b.GetLayer("conv4_block2_2_conv").Parameters[0].Value.ToArray());
    }

    [Fact]
    public void ResNet50_TrainStepAfterWarmUp_AllocatesNothing()
    {
        Functional model = KerasApplications.ResNet50(ApplicationTestSupport.SmallClassifier(32));
        model.Compile(new NeuralNet.Optimizers.Sgd(0.01f), new NeuralNet.Losses.CategoricalCrossEntropy());
        Tensor x = ImageNetPreprocessing.Caffe(Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), 3, 0f, 255f));
        Tensor y = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0 }, 2, 3);

        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }
}
