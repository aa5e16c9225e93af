using NeuralNet.Applications;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

// Keras' imagenet_utils: obtain_input_shape (weights=None), correct_pad, preprocess_input; mobilenet_v2's _make_divisible.
public class ApplicationOptionsTests
{
    public static TheoryData<string> Builders => ["ResNet50", "ResNet101", "ResNet152", "VGG16", "VGG19", "MobileNetV2", "EfficientNetB0", "EfficientNetV2B0"];

    private static Functional Build(string builder, ApplicationOptions options) => builder switch
    {
        "ResNet50" => KerasApplications.ResNet50(options),
        "ResNet101" => KerasApplications.ResNet101(options),
        "ResNet152" => KerasApplications.ResNet152(options),
        "VGG16" => KerasApplications.Vgg16(options),
        "VGG19" => KerasApplications.Vgg19(options),
        "EfficientNetB0" => KerasApplications.EfficientNetB0(options),
        "EfficientNetV2B0" => KerasApplications.EfficientNetV2B0(options),
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

    // imagenet_utils.obtain_input_shape with weights="imagenet" and the builders' own check of classes.
    [Fact]
    public void ImageNetWeights_WithTop_RequireKerasDefaultShapeAndThousandClasses()
    {
        var classes = Assert.Throws<ArgumentException>(() => KerasApplications.EfficientNetB1(new ApplicationOptions { ImageNetWeights = true, Classes = 10 }));
        Assert.Contains("EfficientNetB1: if using ImageNetWeights with IncludeTop as true, Classes should be 1000. Received: Classes=10.", classes.Message);

        var shape = Assert.Throws<ArgumentException>(() => KerasApplications.EfficientNetB1(new ApplicationOptions { ImageNetWeights = true, InputShape = new TensorShape(224, 224, 3) }));
        Assert.Contains("InputShape should be (240, 240, 3). Received: InputShape=(224, 224, 3).", shape.Message);

        var channels = Assert.Throws<ArgumentException>(() => KerasApplications.ResNet50(new ApplicationOptions { ImageNetWeights = true, IncludeTop = false, InputShape = new TensorShape(64, 64, 1) }));
        Assert.Contains("ResNet50: the input must have 3 channels for ImageNet weights. Received: InputShape=(64, 64, 1).", channels.Message);

        // Without top, any size of 3 channels; with top and no shape, the default one.
        Assert.Equal(new TensorShape(2, 2, 1280), KerasApplications.EfficientNetV2B0(new ApplicationOptions { ImageNetWeights = true, IncludeTop = false, InputShape = new TensorShape(64, 64, 3) }).OutputShape);
        Assert.Equal(new TensorShape(240, 240, 3), KerasApplications.EfficientNetB1(new ApplicationOptions { ImageNetWeights = true }).Inputs[0].Shape);
    }

    // mobilenet_v2.py: the default size is the input's side when square and in [96, 128, 160, 192, 224], so with top a
    // published size is accepted; another one is refused, as obtain_input_shape refuses a shape other than the default.
    [Theory]
    [InlineData(96)]
    [InlineData(128)]
    [InlineData(160)]
    [InlineData(192)]
    [InlineData(224)]
    public void MobileNetV2_ImageNetWeightsWithTop_AcceptsEveryPublishedSize(int side)
    {
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { ImageNetWeights = true, InputShape = new TensorShape(side, side, 3) }, alpha: 0.35);

        Assert.Equal(new TensorShape(side, side, 3), model.Inputs[0].Shape);
        Assert.Equal($"mobilenetv2_0.35_{side}", model.Name);
    }

    [Fact]
    public void MobileNetV2_ImageNetWeightsWithTop_OtherSizeThrows_WithoutTopNamesTheDefaultWeights()
    {
        var e = Assert.Throws<ArgumentException>(() => KerasApplications.MobileNetV2(new ApplicationOptions { ImageNetWeights = true, InputShape = new TensorShape(128, 160, 3) }));
        Assert.Contains("MobileNetV2: when setting IncludeTop=true and loading ImageNet weights, InputShape should be (224, 224, 3). Received: InputShape=(128, 160, 3).", e.Message);

        // Without top any size; Keras then loads the 224 weights and names the model after them.
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { ImageNetWeights = true, IncludeTop = false, InputShape = new TensorShape(100, 100, 3) });
        Assert.Equal("mobilenetv2_1.00_224", model.Name);
        Assert.Equal("mobilenetv2_1.00_100", KerasApplications.MobileNetV2(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(100, 100, 3) }).Name);
    }

    [Theory]
    [InlineData(0.35, true)]
    [InlineData(0.5, true)]
    [InlineData(0.75, true)]
    [InlineData(1.0, true)]
    [InlineData(1.3, true)]
    [InlineData(1.4, true)]
    [InlineData(0.6, false)]
    [InlineData(1.35, false)]
    public void MobileNetV2_ImageNetWeights_RequiresPublishedAlpha(double alpha, bool published)
    {
        ApplicationOptions Options(bool imageNet) => new() { ImageNetWeights = imageNet, IncludeTop = false, InputShape = new TensorShape(32, 32, 3) };
        var options = Options(imageNet: true);
        if (published)
        {
            Assert.Equal(new TensorShape(32, 32, 3), KerasApplications.MobileNetV2(options, alpha).Inputs[0].Shape);
            return;
        }

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KerasApplications.MobileNetV2(options, alpha));
        Assert.Equal("alpha", e.ParamName);
        Assert.Contains($"MobileNetV2: if ImageNetWeights are being loaded, alpha must be one of 0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 only. Received: alpha={alpha}.", e.Message);

        // Without ImageNet weights any positive alpha.
        Assert.Equal(new TensorShape(32, 32, 3), KerasApplications.MobileNetV2(Options(imageNet: false), alpha).Inputs[0].Shape);
    }

    // imagenet_utils.validate_activation, called by every builder with include_top.
    [Theory]
    [MemberData(nameof(Builders))]
    public void ImageNetWeightsWithTop_ClassifierActivationOtherThanSoftmaxOrNone_Throws(string builder)
    {
        var e = Assert.Throws<ArgumentException>(() => Build(builder, new ApplicationOptions { ImageNetWeights = true, ClassifierActivation = NeuralNet.Activations.ActivationFunction.Sigmoid }));

        Assert.Contains($"{builder}: only null and softmax activations are allowed for ClassifierActivation when using ImageNetWeights with IncludeTop as true. Received: ClassifierActivation=sigmoid.", e.Message);
    }

    [Fact]
    public void ImageNetWeights_ClassifierActivationSoftmaxNoneOrWithoutTop_Allowed()
    {
        var shape = new TensorShape(96, 96, 3);

        Assert.Equal(new TensorShape(1000), KerasApplications.MobileNetV2(new ApplicationOptions { ImageNetWeights = true, InputShape = shape, ClassifierActivation = null }, 0.35).OutputShape);
        Assert.Equal(new TensorShape(1000), KerasApplications.MobileNetV2(new ApplicationOptions { ImageNetWeights = true, InputShape = shape }, 0.35).OutputShape);
        Assert.Equal(new TensorShape(3, 3, 1280), KerasApplications.MobileNetV2(
            new ApplicationOptions { ImageNetWeights = true, InputShape = shape, IncludeTop = false, ClassifierActivation = NeuralNet.Activations.ActivationFunction.Sigmoid }, 0.35).OutputShape);
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
