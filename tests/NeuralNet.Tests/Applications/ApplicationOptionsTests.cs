using NeuralNet.Applications;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' imagenet_utils: obtain_input_shape (weights=None), correct_pad, preprocess_input; mobilenet_v2's _make_divisible.
public class ApplicationOptionsTests
{
    public static TheoryData<string> Builders => ["ResNet50", "ResNet101", "ResNet152", "VGG16", "VGG19", "MobileNetV2"];

    private static Functional Build(string builder, ApplicationOptions options) => builder switch
    {
        "ResNet50" => KerasApplications.ResNet50(options),
        "ResNet101" => KerasApplications.ResNet101(options),
        "ResNet152" => KerasApplications.ResNet152(options),
        "VGG16" => KerasApplications.Vgg16(options),
        "VGG19" => KerasApplications.Vgg19(options),
        _ => KerasApplications.MobileNetV2(options),
    };

    [Theory]
    [MemberData(nameof(Builders))]
    public void Build_InputSmallerThan32_ThrowsKerasMessage(string builder)
    {
        var e = Assert.Throws<ArgumentException>(() => Build(builder, new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(31, 64, 3) }));

        Assert.Equal($"{builder}: input size must be at least 32x32. Received: InputShape=(31, 64, 3). (Parameter 'options')", e.Message);
        Assert.Throws<ArgumentException>(() => Build(builder, new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(64, 20, 3) }));
    }

    [Theory]
    [MemberData(nameof(Builders))]
    public void Build_InputShapeNotThreeDimensions_Throws(string builder)
    {
        var e = Assert.Throws<ArgumentException>(() => Build(builder, new ApplicationOptions { InputShape = new TensorShape(224, 224) }));

        Assert.Contains("expects InputShape to be three integers (height, width, channels)", e.Message);
        Assert.Contains("Received: InputShape=(224, 224)", e.Message);
    }

    [Theory]
    [MemberData(nameof(Builders))]
    public void Build_NoClasses_Throws(string builder)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Build(builder, new ApplicationOptions { InputShape = new TensorShape(32, 32, 3), Classes = 0 }));

        Assert.Contains($"{builder} expects a positive number of classes when IncludeTop is true. Received: Classes=0.", e.Message);
    }

    [Fact]
    public void Build_UnknownPooling_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KerasApplications.ResNet50(new ApplicationOptions { IncludeTop = false, Pooling = (ApplicationPooling)7 }));

        Assert.Contains("ResNet50 expects Pooling to be None, Average or Max. Received: Pooling=7.", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void MobileNetV2_BadAlpha_Throws(double alpha)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KerasApplications.MobileNetV2(alpha: alpha));

        Assert.Equal("alpha", e.ParamName);
        Assert.Contains("MobileNetV2 expects a positive, finite width multiplier", e.Message);
    }

    [Fact]
    public void Build_ClassesIgnoredWithoutTop_AsInKeras()
    {
        Functional model = KerasApplications.Vgg16(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Classes = 0 });

        Assert.Equal(new TensorShape(1, 1, 512), model.OutputShape);
    }

    [Fact]
    public void Build_WithTopAndAnotherSize_IsAllowedWithoutWeights_AsInKeras()
    {
        // obtain_input_shape only requires (224, 224, 3) with include_top when weights='imagenet'; channels are free.
        Functional model = KerasApplications.ResNet50(new ApplicationOptions { InputShape = new TensorShape(40, 48, 1), Classes = 2 });

        Assert.Equal(new TensorShape(40, 48, 1), model.Inputs[0].Shape);
        Assert.Equal(new TensorShape(2), model.OutputShape);
    }

    [Fact]
    public void Build_NoInputShapeWithoutTop_UsesKerasDefaultSize()
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { IncludeTop = false });

        Assert.Equal(new TensorShape(224, 224, 3), model.Inputs[0].Shape);
        Assert.Equal(new TensorShape(7, 7, 1280), model.OutputShape);
    }

    [Theory]
    [InlineData(11.2, 16)]    // 8 would lose more than 10 %
    [InlineData(5.0, 8)]
    [InlineData(3.0, 8)]      // never below the divisor
    [InlineData(44.8, 48)]
    [InlineData(12.0, 16)]    // halves round up: int(12 + 4) // 8 * 8
    [InlineData(11.9, 8 + 8)]
    [InlineData(56.0, 56)]
    [InlineData(1664.0, 1664)]
    [InlineData(1792.0, 1792)]
    public void MakeDivisible_MatchesKeras(double value, int expected)
    {
        Assert.Equal(expected, ApplicationChecks.MakeDivisible(value, 8));
    }

    [Theory]
    [InlineData(112, 112, 0, 1, 0, 1)]
    [InlineData(27, 27, 1, 1, 1, 1)]
    [InlineData(28, 27, 0, 1, 1, 1)]
    public void CorrectPad_MatchesKeras(int height, int width, int top, int bottom, int left, int right)
    {
        Assert.Equal(((top, bottom), (left, right)), ApplicationChecks.CorrectPad(new TensorShape(height, width, 8), 3));
    }

    [Fact]
    public void PreprocessInput_Caffe_SwapsToBgrAndSubtractsImageNetMean()
    {
        Tensor images = Tensor.FromArray(new float[] { 10, 20, 30, 255, 0, 128 }, 1, 1, 2, 3);

        float[] resNet = ImageNetPreprocessing.Caffe(images).ToArray();
        float[] vgg = ImageNetPreprocessing.Caffe(images).ToArray();

        // Keras: x[..., ::-1], then x[..., c] -= mean[c] with mean = [103.939, 116.779, 123.68], in float32.
        float[] expected = [30f - 103.939f, 20f - 116.779f, 10f - 123.68f, 128f - 103.939f, 0f - 116.779f, 255f - 123.68f];
        Assert.Equal(expected, resNet);
        Assert.Equal(expected, vgg);
        Assert.Equal([10f, 20f, 30f, 255f, 0f, 128f], images.ToArray());   // the input is left alone
        Assert.Equal(images.Shape, ImageNetPreprocessing.Caffe(images).Shape);
    }

    [Fact]
    public void PreprocessInput_Caffe_NotThreeChannels_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageNetPreprocessing.Caffe(new Tensor(2, 4, 4, 1)));

        Assert.Contains("ImageNetPreprocessing.Caffe expects images with 3 channels (RGB) on the last axis. Received: images of shape (2, 4, 4, 1).", e.Message);
    }

    [Fact]
    public void PreprocessInput_Tf_ScalesToMinusOneOne()
    {
        Tensor images = Tensor.FromArray(new float[] { 0, 127.5f, 255, 51 }, 1, 2, 2, 1);

        float[] result = ImageNetPreprocessing.Tf(images).ToArray();

        Assert.Equal([-1f, 0f, 1f, (51f / 127.5f) - 1f], result);
    }

    [Fact]
    public void PreprocessInput_Torch_ScalesToUnitThenStandardizesEachRgbChannel()
    {
        Tensor images = Tensor.FromArray(new float[] { 255, 0, 127.5f, 0, 255, 0 }, 1, 1, 2, 3);

        float[] result = ImageNetPreprocessing.Torch(images).ToArray();

        // Keras' imagenet_utils torch mode: x / 255, minus mean (0.485, 0.456, 0.406), over std (0.229, 0.224, 0.225),
        // worked out by hand: (1 - 0.485) / 0.229, -0.456 / 0.224, (0.5 - 0.406) / 0.225, -0.485 / 0.229, ...
        double[] expected = [2.2489083, -2.0357143, 0.4177778, -2.1179039, 2.4285714, -1.8044444];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], result[i], 5);
        }

        Assert.Equal([255f, 0f, 127.5f, 0f, 255f, 0f], images.ToArray());
    }

    [Fact]
    public void PreprocessInput_Torch_NotThreeChannels_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageNetPreprocessing.Torch(new Tensor(2, 4, 4, 4)));

        Assert.Contains("ImageNetPreprocessing.Torch expects images with 3 channels (RGB) on the last axis. Received: images of shape (2, 4, 4, 4).", e.Message);
    }
}
