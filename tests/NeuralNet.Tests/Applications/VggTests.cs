using NeuralNet.Activations;
using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' keras/src/applications/vgg16.py and vgg19.py; counts from keras.io/api/applications.
public class VggTests
{
    [Fact]
    public void Vgg16_Default_HasKerasPublishedParameterCountAndLayers()
    {
        Functional model = KerasApplications.Vgg16();

        Assert.Equal("vgg16", model.Name);
        Assert.Equal(138_357_544, model.ParameterCount);   // keras.io's table
        Assert.Equal(138_357_544, model.TrainableParameterCount);
        Assert.Equal(
            ["block1_conv1", "block1_conv2", "block1_pool", "block2_conv1", "block2_conv2", "block2_pool",
             "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool", "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
             "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool", "flatten", "fc1", "fc2", "predictions"],
            model.Layers.Skip(1).Select(l => l.Name));
        Assert.Equal(25_088, ((Dense)model.GetLayer("fc1")).Kernel.Shape[0]);   // 7 x 7 x 512
    }

    [Fact]
    public void Vgg19_Default_HasKerasPublishedParameterCount()
    {
        // VGG16 plus block3_conv4 (3x3x256x256 + 256) and block4_conv4, block5_conv4 (3x3x512x512 + 512 each).
        Assert.Equal(143_667_240, 138_357_544 + (9 * 256 * 256) + 256 + (2 * ((9 * 512 * 512) + 512)));

        Functional model = KerasApplications.Vgg19();

        Assert.Equal("vgg19", model.Name);
        Assert.Equal(143_667_240, model.ParameterCount);   // keras.io's table
        Assert.Equal(26, model.Layers.Count);
        Assert.Equal(["block5_conv3", "block5_conv4", "block5_pool"], ApplicationTestSupport.Names(model, "block5_conv3", 3));

        // Without top: VGG16's base plus the three extra convolutions.
        Functional features = KerasApplications.Vgg19(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });
        Assert.Equal(14_714_688 + (9 * 256 * 256) + 256 + (2 * ((9 * 512 * 512) + 512)), features.ParameterCount);
        Assert.Equal(20_024_384, features.ParameterCount);
        Assert.Equal(22, features.Layers.Count);
    }

    [Fact]
    public void Vgg16_WithoutTop_HasTheConvolutionalBaseOnly()
    {
        Functional model = KerasApplications.Vgg16(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(96, 96, 3) });

        // 138,357,544 less fc1 (25088 x 4096 + 4096), fc2 (4096 x 4096 + 4096) and predictions (4096 x 1000 + 1000).
        Assert.Equal(138_357_544 - ((25_088L * 4096) + 4096) - ((4096L * 4096) + 4096) - ((4096 * 1000) + 1000), model.ParameterCount);
        Assert.Equal(14_714_688, model.ParameterCount);
        Assert.Equal(new TensorShape(3, 3, 512), model.OutputShape);
        Assert.Equal(19, model.Layers.Count);
        Assert.Equal("block5_pool", model.Layers[^1].Name);
    }

    [Fact]
    public void Vgg16_Layers_HaveKerasHyperparameters()
    {
        Functional model = KerasApplications.Vgg16(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });

        foreach (Conv2D conv in model.Layers.OfType<Conv2D>())
        {
            Assert.Equal(((3, 3), (1, 1), Padding.Same, true, ActivationFunction.Relu), (conv.KernelSize, conv.Strides, conv.Padding, conv.UseBias, conv.Activation));
        }

        foreach (MaxPooling2D pool in model.Layers.OfType<MaxPooling2D>())
        {
            Assert.Equal(((2, 2), (2, 2), Padding.Valid), (pool.PoolSize, pool.Strides, pool.Padding));
        }

        Assert.Equal([64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512], model.Layers.OfType<Conv2D>().Select(c => c.Filters));
        Assert.Equal(new TensorShape(1, 1, 512), model.OutputShape);
    }

    [Theory]
    [InlineData(ApplicationPooling.Average, typeof(GlobalAveragePooling2D))]
    [InlineData(ApplicationPooling.Max, typeof(GlobalMaxPooling2D))]
    public void Vgg16_Pooling_EndsWithGlobalPooling(ApplicationPooling pooling, Type type)
    {
        Functional model = KerasApplications.Vgg16(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(64, 48, 3), Pooling = pooling });

        Assert.Equal(new TensorShape(512), model.OutputShape);
        Assert.IsType(type, model.Layers[^1]);
        Assert.Equal(14_714_688, model.ParameterCount);
    }

    [Fact]
    public void Vgg16_OneTrainingStep_AtSmallSize_GivesFiniteGradientsAndMovesWeights()
    {
        Functional model = KerasApplications.Vgg16(ApplicationTestSupport.SmallClassifier(32));

        // At 32 x 32 fc1 takes 1 x 1 x 512 features.
        Assert.Equal(14_714_688 + ((512 * 4096) + 4096) + ((4096 * 4096) + 4096) + ((4096 * 3) + 3), model.ParameterCount);
        ApplicationTestSupport.TrainOneStep(model, 32);
    }

    [Fact]
    public void Vgg_Name_OverridesKerasName()
    {
        Functional model = KerasApplications.Vgg16(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Name = "features" });

        Assert.Equal("features", model.Name);
    }
}
