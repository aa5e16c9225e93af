using NeuralNet.Activations;
using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' keras/src/applications/densenet.py; counts from keras.io/api/applications and model.summary().
public class DenseNetTests
{
    // The parameters densenet.py creates, written out: the 7x7 stem without bias, per building block BN on its input,
    // a 1x1 convolution to 128, BN, a 3x3 convolution to 32 (no biases), per transition BN and a 1x1 convolution to half
    // the channels, then the last BN and the classifier. Batch normalization holds 4 weights per channel, 2 of them
    // moving statistics.
    private static (long Total, long MovingStatistics, int Channels) Count(int[] blocks, bool top, int classes)
    {
        long total = (7 * 7 * 3 * 64) + (4 * 64), moving = 2 * 64;
        int c = 64;
        for (int stage = 0; stage < 4; stage++)
        {
            for (int b = 0; b < blocks[stage]; b++)
            {
                total += (4L * c) + (c * 128L) + (4 * 128) + (9 * 128 * 32);
                moving += (2L * c) + (2 * 128);
                c += 32;
            }

            if (stage < 3)
            {
                total += (4L * c) + ((long)c * (c / 2));
                moving += 2L * c;
                c /= 2;
            }
        }

        total += 4L * c;
        moving += 2L * c;
        if (top)
        {
            total += ((long)c * classes) + classes;
        }

        return (total, moving, c);
    }

    [Fact]
    public void DenseNet121_Default_HasKerasPublishedParameterCounts()
    {
        Assert.Equal((8_062_504, 83_648, 1024), Count([6, 12, 24, 16], top: true, 1000));   // the count written out agrees with Keras' numbers

        Functional model = KerasApplications.DenseNet121();

        Assert.Equal("densenet121", model.Name);
        Assert.Equal(new TensorShape(224, 224, 3), model.Inputs[0].Shape);
        Assert.Equal(new TensorShape(1000), model.OutputShape);
        Assert.Equal(8_062_504, model.ParameterCount);            // keras.io's table
        Assert.Equal(7_978_856, model.TrainableParameterCount);   // Keras' summary: non-trainable 83,648
        // len(model.layers): input, 2 paddings, stem conv/bn/relu, pool1, 58 building blocks of 7 layers, 3 transitions
        // of 4, bn, relu, avg_pool, predictions.
        Assert.Equal(1 + 2 + 3 + 1 + (58 * 7) + (3 * 4) + 2 + 2, model.Layers.Count);
        Assert.Equal(ActivationFunction.Softmax, ((Dense)model.GetLayer("predictions")).Activation);
    }

    [Theory]
    [InlineData(169, 14_307_880, 12_642_880)]   // keras.io's table (14.3M); without top 1664 x 1000 + 1000 less
    [InlineData(201, 20_242_984, 18_321_984)]   // keras.io's table (20.2M); without top 1920 x 1000 + 1000 less
    public void DenseNet169And201_HaveKerasParameterCounts(int depth, long withTop, long withoutTop)
    {
        int[] blocks = depth == 169 ? [6, 12, 32, 32] : [6, 12, 48, 32];
        var (total, moving, channels) = Count(blocks, top: false, 0);
        Assert.Equal(withTop, Count(blocks, top: true, 1000).Total);
        Assert.Equal(withoutTop, total);

        var options = new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) };
        Functional model = depth == 169 ? KerasApplications.DenseNet169(options) : KerasApplications.DenseNet201(options);

        Assert.Equal($"densenet{depth}", model.Name);
        Assert.Equal(withoutTop, model.ParameterCount);
        Assert.Equal(withoutTop - moving, model.TrainableParameterCount);
        Assert.Equal(new TensorShape(1, 1, channels), model.OutputShape);
        Assert.Equal([$"conv5_block{blocks[3]}_concat", "bn", "relu"], model.Layers.Skip(model.Layers.Count - 3).Select(l => l.Name));
        Assert.Contains(model.Layers, l => l.Name == $"conv4_block{blocks[2]}_concat");
    }

    [Fact]
    public void DenseNet121_Layers_AreInKerasOrderWithKerasNames()
    {
        Functional model = KerasApplications.DenseNet121(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        Assert.IsType<InputLayer>(model.Layers[0]);
        Assert.Equal(
            ["zero_padding2d", "conv1_conv", "conv1_bn", "conv1_relu", "zero_padding2d_1", "pool1",
             "conv2_block1_0_bn", "conv2_block1_0_relu", "conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu",
             "conv2_block1_2_conv", "conv2_block1_concat",
             "conv2_block2_0_bn"],
            ApplicationTestSupport.Names(model, "zero_padding2d", 14));
        Assert.Equal(
            ["conv2_block6_concat", "pool2_bn", "pool2_relu", "pool2_conv", "pool2_pool", "conv3_block1_0_bn"],
            ApplicationTestSupport.Names(model, "conv2_block6_concat", 6));
        Assert.Equal(["conv5_block16_concat", "bn", "relu"], ApplicationTestSupport.Names(model, "conv5_block16_concat", 3));
        Assert.Equal(model.Layers.Count - 1, ApplicationTestSupport.Names(model, "zero_padding2d", int.MaxValue).Length);
    }

    [Fact]
    public void DenseNet121_Layers_HaveKerasHyperparameters()
    {
        Functional model = KerasApplications.DenseNet121(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        foreach (BatchNormalization norm in model.Layers.OfType<BatchNormalization>())
        {
            Assert.Equal((1.001e-5f, 0.99f), (norm.Epsilon, norm.Momentum));
        }

        Assert.All(model.Layers.OfType<Conv2D>(), c => Assert.False(c.UseBias));
        var stem = (Conv2D)model.GetLayer("conv1_conv");
        Assert.Equal((64, (7, 7), (2, 2), Padding.Valid), (stem.Filters, stem.KernelSize, stem.Strides, stem.Padding));
        var pool = (MaxPooling2D)model.GetLayer("pool1");
        Assert.Equal(((3, 3), (2, 2), Padding.Valid), (pool.PoolSize, pool.Strides, pool.Padding));
        var grow = (Conv2D)model.GetLayer("conv3_block4_2_conv");
        Assert.Equal((32, (3, 3), Padding.Same), (grow.Filters, grow.KernelSize, grow.Padding));
        Assert.Equal(128, ((Conv2D)model.GetLayer("conv4_block7_1_conv")).Filters);

        // Each transition halves 64 + 6 x 32 = 256, 128 + 12 x 32 = 512 and 256 + 24 x 32 = 1024 channels.
        Assert.Equal((128, 256, 512), (((Conv2D)model.GetLayer("pool2_conv")).Filters, ((Conv2D)model.GetLayer("pool3_conv")).Filters, ((Conv2D)model.GetLayer("pool4_conv")).Filters));
        var transition = (AveragePooling2D)model.GetLayer("pool3_pool");
        Assert.Equal(((2, 2), (2, 2)), (transition.PoolSize, transition.Strides));
        Assert.Equal(((3, 3), (3, 3)), ((ZeroPadding2D)model.GetLayer("zero_padding2d")).Padding);
        Assert.Equal(((1, 1), (1, 1)), ((ZeroPadding2D)model.GetLayer("zero_padding2d_1")).Padding);
        Assert.Equal(new TensorShape(8, 8, 96), model.GetLayer("conv2_block1_concat").OutputShape);
    }

    [Theory]
    [InlineData(224, 7)]
    [InlineData(96, 3)]
    public void DenseNet121_WithoutTop_OutputShapeFollowsTheInput(int side, int expected)
    {
        Functional model = KerasApplications.DenseNet121(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(side, side, 3) });

        Assert.Equal(new TensorShape(expected, expected, 1024), model.OutputShape);
        Assert.Equal(7_037_504, model.ParameterCount);   // 8,062,504 less predictions (1024 x 1000 + 1000)
    }

    [Theory]
    [InlineData(ApplicationPooling.Average, "avg_pool", typeof(GlobalAveragePooling2D))]
    [InlineData(ApplicationPooling.Max, "max_pool", typeof(GlobalMaxPooling2D))]
    public void DenseNet121_Pooling_EndsWithKerasNamedPooling(ApplicationPooling pooling, string name, Type type)
    {
        Functional model = KerasApplications.DenseNet121(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Pooling = pooling });

        Assert.Equal(new TensorShape(1024), model.OutputShape);
        Assert.Equal(name, model.Layers[^1].Name);
        Assert.IsType(type, model.Layers[^1]);
    }

    [Fact]
    public void DenseNet121_OneTrainingStep_AtSmallSize_GivesFiniteGradientsAndMovesWeights()
    {
        Functional model = KerasApplications.DenseNet121(ApplicationTestSupport.SmallClassifier(32));

        Assert.Equal(Count([6, 12, 24, 16], top: true, 3).Total, model.ParameterCount);
        ApplicationTestSupport.TrainOneStep(model, 32);
    }

    [Fact]
    public void DenseNet121_TrainStepAfterWarmUp_AllocatesNothing()
    {
        Functional model = KerasApplications.DenseNet121(ApplicationTestSupport.SmallClassifier(32));
        model.Compile(new NeuralNet.Optimizers.Sgd(0.01f), new NeuralNet.Losses.CategoricalCrossEntropy());
        Tensor x = ImageNetPreprocessing.Torch(Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), 3, 0f, 255f));
        Tensor y = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0 }, 2, 3);

        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }
}
