using Xunit;
namespace NeuralNet.Onnx.Tests;

/// <summary>Every exported layer case and sample model passes ONNX's own checker, with shape inference, at every opset the checker knows.</summary>
public sealed class OnnxCheckerTests
{
    [OnnxCheckerFact]
    public void Every_exported_model_passes_the_onnx_checker()
    {
        Assert.True(OnnxChecker.PythonWithOnnx is not null, "ONNX's checker is required (NEURALNET_REQUIRE_ONNX_CHECKER=1) but no Python with the onnx package was found; install python3-onnx.");
        int newest = OnnxChecker.NewestOpset();
        int[] opsets = [.. new[] { OnnxExporter.MinimumOpset, OnnxExporter.DefaultOpset, 20, OnnxExporter.MaximumOpset }.Where(o => o <= newest)];
        Assert.Contains(OnnxExporter.DefaultOpset, opsets);

        string folder = Directory.CreateTempSubdirectory("neuralnet-onnx-check-").FullName;
        try
        {
            int files = 0;
            IEnumerable<(string Name, Func<Models.Model> Build)> models =
                ExportCases.All.Select(c => (c.Key, c.Value)).Concat(SampleModelExportTests.Models.Select(m => (m.Key, m.Value)));
            foreach ((string name, Func<Models.Model> build) in models)
            {
                Models.Model model = build().Randomized();
                foreach (int opset in opsets)
                {
                    model.ExportOnnx(Path.Combine(folder, $"{name}.opset{opset}.onnx"), new OnnxExportOptions { Opset = opset });
                    files++;
                }
            }

            (int exitCode, string report) = OnnxChecker.Check(folder);
            Assert.True(exitCode == 0, report);
            Assert.Contains($"checked {files} ", report, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
