using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>NeuralNet models exported by OnnxExporter and imported back predict as the originals do (the exporter's layout transposes are absorbed).</summary>
/// <remarks>
/// Not every exported model imports: BatchNormalization is exported as per-channel Sub/Mul/Add, which the importer refuses,
/// and an image input read by no Transpose (a Flatten straight after the input) is taken as PyTorch's (N, C, H, W).
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
}
