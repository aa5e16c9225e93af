using NeuralNet.Applications;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Applications;

/// <summary>Tests that build the largest applications (EfficientNetV2L holds about 0.95 GB of weights and gradients): they run alone, one model at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BigModelTests
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Tests that build the largest models";
}

// Every EfficientNet and EfficientNetV2 variant's parameter counts: Keras' totals written out in EfficientNetCounts from
// the files' block arguments. Each model is built once, without top and small (the count does not depend on the image
// size); the classifier's Dense (channels x 1000 + 1000) makes the difference with top, whose builder path the B0 and
// V2B0 default tests cover.
[Collection(BigModelTests.Name)]
public class EfficientNetParameterCountTests
{
    private const int Classes = 1000;

    // (variant, width, depth, Keras' total with top, without top)
    [Theory]
    [InlineData(0, 1.0, 1.0, 5_330_571, 4_049_571)]
    [InlineData(1, 1.0, 1.1, 7_856_239, 6_575_239)]
    [InlineData(2, 1.1, 1.2, 9_177_569, 7_768_569)]
    [InlineData(3, 1.2, 1.4, 12_320_535, 10_783_535)]
    [InlineData(4, 1.4, 1.8, 19_466_823, 17_673_823)]
    [InlineData(5, 1.6, 2.2, 30_562_527, 28_513_527)]
    [InlineData(6, 1.8, 2.6, 43_265_143, 40_960_143)]
    [InlineData(7, 2.0, 3.1, 66_658_687, 64_097_687)]
    public void EfficientNet_EveryVariant_HasKerasParameterCounts(int variant, double width, double depth, long withTop, long withoutTop)
    {
        var (total, moving) = EfficientNetCounts.V1(width, depth, top: true);
        Assert.Equal(withTop, total);
        Assert.Equal(withoutTop, EfficientNetCounts.V1(width, depth, top: false).Total);

        Functional model = EfficientNetTests.Build(variant, new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });
        AssertCounts(model, withTop, withoutTop, moving);
        Assert.Equal($"efficientnetb{variant}", model.Name);
    }

    // (variant, stages, width, depth, Keras' total with top, without top)
    [Theory]
    [InlineData("b0", "b", 1.0, 1.0, 7_200_312, 5_919_312)]
    [InlineData("b1", "b", 1.0, 1.1, 8_212_124, 6_931_124)]
    [InlineData("b2", "b", 1.1, 1.2, 10_178_374, 8_769_374)]
    [InlineData("b3", "b", 1.2, 1.4, 14_467_622, 12_930_622)]
    [InlineData("s", "s", 1.0, 1.0, 21_612_360, 20_331_360)]
    [InlineData("m", "m", 1.0, 1.0, 54_431_388, 53_150_388)]
    [InlineData("l", "l", 1.0, 1.0, 119_027_848, 117_746_848)]
    public void EfficientNetV2_EveryVariant_HasKerasParameterCounts(string variant, string stages, double width, double depth, long withTop, long withoutTop)
    {
        var (total, moving) = EfficientNetCounts.V2(width, depth, stages, top: true);
        Assert.Equal(withTop, total);
        Assert.Equal(withoutTop, EfficientNetCounts.V2(width, depth, stages, top: false).Total);

        Functional model = EfficientNetV2Tests.Build(variant, new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3) });
        AssertCounts(model, withTop, withoutTop, moving);
        Assert.Equal($"efficientnetv2-{variant}", model.Name);
    }

    private static void AssertCounts(Functional model, long withTop, long withoutTop, long moving)
    {
        Assert.Equal(withoutTop, model.ParameterCount);
        Assert.Equal(withoutTop - moving, model.TrainableParameterCount);
        int channels = model.OutputShape[model.OutputShape.Rank - 1];
        Assert.Equal(withTop, withoutTop + ((long)channels * Classes) + Classes);
    }
}
