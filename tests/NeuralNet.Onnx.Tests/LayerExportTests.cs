using Xunit;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Tests;

/// <summary>Every layer type and option, exported at the oldest, the default and the newest opset, run in ONNX Runtime and compared with Predict.</summary>
public sealed class LayerExportTests
{
    public static TheoryData<string> Cases => ExportCases.Names();

    public static TheoryData<string> CasesWithMaskedIds => [.. ExportCases.All.Keys.Where(name => ExportCases.Build(name).Layers.Any(OnnxRoundTrip.MasksZero))];

    [Theory]
    [MemberData(nameof(CasesWithMaskedIds))]
    public void RandomInputs_ModelMaskingIdZero_HoldRowsPaddedFirstLastAndAll(string name)
    {
        // Random ids below a small vocabulary hold padding by chance only; the masks the export follows must be tested.
        foreach (Tensor ids in OnnxRoundTrip.RandomInputs(ExportCases.Build(name), batch: 3))
        {
            float[][] rows = [.. Enumerable.Range(0, 3).Select(b => ids.AsReadOnlySpan().Slice(b * (ids.Length / 3), ids.Length / 3).ToArray())];
            Assert.Contains(rows, r => r[0] == 0 && r.Any(v => v != 0));
            Assert.Contains(rows, r => r[^1] == 0 && r.Any(v => v != 0));
            Assert.Contains(rows, r => r.All(v => v == 0));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_predict_at_the_default_opset(string name) =>
        OnnxRoundTrip.AssertMatchesPredict(ExportCases.Build(name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_predict_at_the_oldest_opset(string name) =>
        OnnxRoundTrip.AssertMatchesPredict(ExportCases.Build(name), new OnnxExportOptions { Opset = OnnxExporter.MinimumOpset });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_predict_at_the_newest_opset(string name) =>
        OnnxRoundTrip.AssertMatchesPredict(ExportCases.Build(name), new OnnxExportOptions { Opset = OnnxExporter.MaximumOpset });
}
