using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Samples.Onnx;
using Xunit;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>NeuralNet models exported by OnnxExporter and imported back predict as the originals do (the exporter's layout transposes are absorbed).</summary>
/// <remarks>
/// BatchNormalization, exported as per-channel Sub/Mul/Mul/Add, imports as one frozen BatchNormalization; LayerNormalization,
/// exported as ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Reciprocal, Mul, as a LayerNormalization. The files' producer
/// name tells the importer their inputs and outputs are in NeuralNet's layouts (see ImportOfEveryExportCaseTests).
/// </remarks>
public sealed class ImportRoundTripTests
{
    [Theory]
    [InlineData("dense_relu_softmax")]
    [InlineData("dense_linear_no_bias")]
    [InlineData("dense_sigmoid")]
    [InlineData("dense_tanh")]
    [InlineData("dense_leaky_relu")]
    [InlineData("dense_elu")]
    [InlineData("dense_on_sequences")]
    [InlineData("conv_valid_relu")]
    [InlineData("conv_same_strided_no_bias")]
    [InlineData("conv_same_even_kernel")]
    [InlineData("conv_grouped_strided_valid")]
    [InlineData("max_pool_valid")]
    [InlineData("max_pool_same_strided")]
    [InlineData("average_pool_valid")]
    [InlineData("reshape")]
    [InlineData("batch_norm_images")]
    [InlineData("batch_norm_features")]
    [InlineData("batch_norm_sequences_no_scale")]
    [InlineData("layer_norm_features")]
    [InlineData("layer_norm_sequences_no_center")]
    [InlineData("layer_norm_channels_after_conv")]
    public void ExportedModel_ImportedBack_PredictsTheSame(string name)
    {
        Model original = ExportCases.Build(name).Randomized();
        Functional imported = ImportChecks.Import(original.ToOnnxBytes());
        Tensor[] inputs = OnnxRoundTrip.RandomInputs(original, batch: 3);

        Assert.Equal(original.Inputs[0].Shape, imported.Inputs[0].Shape);
        IReadOnlyList<Tensor> expected = original.PredictOutputs(inputs), actual = imported.PredictOutputs(inputs);
        Assert.Equal(expected[0].Shape, actual[0].Shape);
        ImportChecks.AssertClose(expected[0].AsReadOnlySpan(), actual[0].AsReadOnlySpan());
    }

    [Theory]
    [InlineData("batch_norm_images", true, true)]
    [InlineData("batch_norm_features", false, true)]
    [InlineData("batch_norm_sequences_no_scale", true, false)]
    public void ExportedBatchNormalization_ImportsBackAsOneFrozenLayer_PredictingTheSameFloats(string name, bool center, bool scale)
    {
        // The exporter's Sub, Mul, [Mul], [Add] by per-channel constants: one BatchNormalization whose ε and moving
        // variance give the file's 1/√(variance + ε) to the bit, so the outputs are Predict's exactly.
        Model original = ExportCases.Build(name).Randomized();
        Functional imported = ImportChecks.Import(original.ToOnnxBytes());
        Tensor[] inputs = OnnxRoundTrip.RandomInputs(original, batch: 3);

        BatchNormalization layer = Assert.Single(imported.Layers.OfType<BatchNormalization>());
        Assert.False(layer.Trainable);
        Assert.Equal((center, scale), (layer.Center, layer.Scale));
        BatchNormalization source = Assert.Single(original.Layers.OfType<BatchNormalization>());
        Assert.Equal(source.MovingMean.Value.AsReadOnlySpan().ToArray(), layer.MovingMean.Value.AsReadOnlySpan().ToArray());
        Assert.Equal(original.PredictOutputs(inputs)[0].AsReadOnlySpan().ToArray(), imported.PredictOutputs(inputs)[0].AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void SubAndMulByScalars_AreNotTakenForABatchNormalization()
    {
        // (x - 0.5) * 2 matches the exported pattern's shape but its constants are not per feature: ScalarArithmetic, as before.
        var g = new OnnxGraphs(91);
        g.Output(g.Node("Mul", [g.Node("Sub", [g.Node("Relu", [g.Input("x", -1, 4)]), g.Scalar(0.5f)]), g.Scalar(2f)]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "x", [3, 4]);

        Assert.Empty(model.Layers.OfType<BatchNormalization>());
        Assert.Equal(2, model.Layers.OfType<ScalarArithmetic>().Count());
    }

    [Fact]
    public void SampleMnistCnn_ExportedAndImportedBack_PredictsTheSameWithin1e5()
    {
        Model original = MnistCnn.Build().Randomized();
        Functional imported = ImportChecks.Import(original.ToOnnxBytes());
        Tensor images = Tensor.RandomUniform(new TensorShape(5, 28, 28, 1), seed: 3);

        ReadOnlySpan<float> expected = original.Predict(images).AsReadOnlySpan(), actual = imported.Predict(images).AsReadOnlySpan();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"Probability {i}: {expected[i]} trained, {actual[i]} imported.");
        }

        // Its BatchNormalization's constants stay out of training.
        Assert.All(imported.Layers.OfType<BatchNormalization>(), layer => Assert.False(layer.Trainable));
    }
}
