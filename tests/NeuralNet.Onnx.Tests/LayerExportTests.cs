using Xunit;
namespace NeuralNet.Onnx.Tests;

/// <summary>Every layer type and option, exported at the oldest, the default and the newest opset, run in ONNX Runtime and compared with Predict.</summary>
public sealed class LayerExportTests
{
    public static TheoryData<string> Cases => ExportCases.Names();

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
