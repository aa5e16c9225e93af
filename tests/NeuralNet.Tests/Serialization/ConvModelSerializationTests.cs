using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Serialization;

public class ConvModelSerializationTests
{
    private static (Tensor X, Tensor Y) Images(long seed)
    {
        var (x, y) = Classification(24, 64, 3, seed);
        return (x.Reshape(24, 8, 8, 1), y);
    }

    [Fact]
    public void SaveLoad_ConvModel_PredictIsBitIdenticalAndConfigurationSurvives()
    {
        using var dir = new TempDirectory();
        var (x, y) = Images(1);
        var model = ConvModel(3);
        model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);

        model.Save(dir.File("cnn.safetensors"));
        var loaded = Sequential.Load(dir.File("cnn.safetensors"));

        Assert.Equal(Bits(model.Predict(x)), Bits(loaded.Predict(x)));
        Assert.Equal(model.Summary(), loaded.Summary());
        var conv = (Conv2D)loaded.Layers[1];
        Assert.Equal((4, (3, 3), (1, 1), Padding.Valid, true), (conv.Filters, conv.KernelSize, conv.Strides, conv.Padding, conv.UseBias));
        Assert.Same(ActivationFunction.Relu, conv.Activation);
        Assert.Equal(1e-4f, Assert.IsType<L2>(conv.KernelRegularizer).Factor);
        Assert.Equal(0.01f, Assert.IsType<Constant>(conv.BiasInitializer).Value);
        var norm = (BatchNormalization)loaded.Layers[2];
        Assert.Equal((0.9f, 1e-4f, true, true), (norm.Momentum, norm.Epsilon, norm.Center, norm.Scale));
        Assert.Equal((2, 2), ((MaxPooling2D)loaded.Layers[3]).PoolSize);
        var conv2 = (Conv2D)loaded.Layers[4];
        Assert.Equal(((2, 2), (1, 2), Padding.Same, false), (conv2.KernelSize, conv2.Strides, conv2.Padding, conv2.UseBias));
        Assert.Null(conv2.Activation);
        Assert.Equal(7L, Assert.IsType<HeUniform>(conv2.KernelInitializer).Seed);
        var average = (AveragePooling2D)loaded.Layers[5];
        Assert.Equal(((2, 1), (1, 1)), (average.PoolSize, average.Strides));
        Assert.False(((BatchNormalization)loaded.Layers[6]).Center);
        Assert.IsType<GlobalAveragePooling2D>(loaded.Layers[7]);
    }

    [Fact]
    public void Resume_ConvModelFromCheckpoint_EqualsUninterruptedTraining()
    {
        using var dir = new TempDirectory();
        var (x, y) = Images(2);
        var uninterrupted = ConvModel(5);
        uninterrupted.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        uninterrupted.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);

        var first = ConvModel(5);
        first.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        first.Save(dir.File("c.safetensors"));
        var resumed = Sequential.Load(dir.File("c.safetensors"));
        resumed.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);

        AssertSameWeights(uninterrupted, resumed);
    }

    [Fact]
    public void Save_ConvModel_NamesBatchNormalizationStatisticsAndSkipsTheirOptimizerState()
    {
        var (x, y) = Images(3);
        var model = ConvModel(1);
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);

        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);

        var names = tensors.Select(t => t.Key).ToList();
        Assert.Contains("batch_normalization/moving_mean", names);
        Assert.Contains("batch_normalization/moving_variance", names);
        Assert.Contains("batch_normalization_1/moving_variance", names);
        Assert.DoesNotContain("batch_normalization_1/beta", names);
        Assert.Contains("optimizer/conv2d/kernel/momentum", names);
        Assert.DoesNotContain("optimizer/batch_normalization/moving_mean/momentum", names);
        Assert.Contains("\"class_name\":\"MaxPooling2D\"", metadata["model_config"], StringComparison.Ordinal);
        Assert.Contains("\"kernel_size\":[2,2]", metadata["model_config"], StringComparison.Ordinal);
        Assert.Contains("\"padding\":\"same\"", metadata["model_config"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"kernel_size\":[3,3]", "\"kernel_size\":[30,30]", "kernel (30, 30) is larger than its input (None, 8, 8, 1)")]
    [InlineData("\"kernel_size\":[3,3]", "\"kernel_size\":[3,3,3]", "at most 2 are allowed")]
    [InlineData("\"padding\":\"valid\"", "\"padding\":\"full\"", "expected \"valid\" or \"same\"")]
    [InlineData("\"groups\":1", "\"groups\":3", "\"groups\" (3) must divide \"filters\" (4)")]
    [InlineData("\"filters\":4", "\"filters\":5", "tensor 'conv2d/kernel': has shape [3, 3, 1, 4] but Conv2D 'conv2d' built for input (None, 8, 8, 1) needs [3, 3, 1, 5]")]
    public void Load_BadConvConfig_ThrowsInvalidData(string find, string replace, string expected)
    {
        var model = ConvModel(1);
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        int at = metadata["model_config"].IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0);
        metadata["model_config"] = string.Concat(metadata["model_config"].AsSpan(0, at), replace, metadata["model_config"].AsSpan(at + find.Length));
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;

        var ex = Assert.Throws<InvalidDataException>(() => Sequential.Load(stream, "cnn"));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
