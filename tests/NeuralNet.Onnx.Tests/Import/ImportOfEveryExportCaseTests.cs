using NeuralNet.Models;
using NeuralNet.Samples.Onnx;
using Xunit;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Every model of <see cref="ExportCases"/>, exported and imported back, is either refused with a
/// <see cref="NotSupportedException"/> (an operator the importer does not read) or predicts what the original predicts:
/// an import that succeeds must never compute something else. (A model whose Rescaling read the channels-last input
/// before the exporter's Transpose was taken for a (N, C, H, W) image: a wrong input shape, or, for an input with
/// three equal lengths, wrong predictions without any error.)
/// </summary>
public sealed class ImportOfEveryExportCaseTests
{
    [Theory]
    [MemberData(nameof(ExportCases.Names), MemberType = typeof(ExportCases))]
    public void ExportedCase_ImportedBack_IsRefusedOrPredictsTheSame(string name)
    {
        Model original = ExportCases.Build(name);
        Functional imported;
        try
        {
            imported = ImportChecks.Import(original.ToOnnxBytes());
        }
        catch (NotSupportedException)
        {
            return;
        }

        Assert.Equal(original.Inputs.Select(i => i.Shape), imported.Inputs.Select(i => i.Shape));
        Tensor[] inputs = OnnxRoundTrip.RandomInputs(original, batch: 3);
        IReadOnlyList<Tensor> expected = original.PredictOutputs(inputs), actual = imported.PredictOutputs(inputs);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Shape, actual[i].Shape);
            ImportChecks.AssertClose(expected[i].AsReadOnlySpan(), actual[i].AsReadOnlySpan());
        }
    }
}
