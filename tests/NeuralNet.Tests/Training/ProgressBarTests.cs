using System.Text;
using NeuralNet.Models;
using NeuralNet.Tests.Models;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

public class ProgressBarTests
{
    private static readonly Dictionary<string, double> s_logs = new()
    {
        ["accuracy"] = 0.86654,
        ["loss"] = 0.46361,
        ["val_accuracy"] = 0.91391,
        ["val_loss"] = 0.30581,
    };

    [Fact]
    public void FormatLine_Verbose1_MatchesKerasEpochLine()
    {
        Assert.Equal(
            "1407/1407 ━━━━━━━━━━━━━━━━━━━━ 4s 3ms/step - accuracy: 0.8665 - loss: 0.4636 - val_accuracy: 0.9139 - val_loss: 0.3058",
            ProgressBar.FormatLine(1, 1407, 4.2, 0.0031, s_logs));
    }

    [Fact]
    public void FormatLine_Verbose2_MatchesKerasCompactLine()
    {
        Assert.Equal(
            "313/313 - 2s - 6ms/step - accuracy: 0.8665 - loss: 0.4636 - val_accuracy: 0.9139 - val_loss: 0.3058",
            ProgressBar.FormatLine(2, 313, 2.1, 0.0058, s_logs));
    }

    [Theory]
    [InlineData(1.5, "s/step", " 2s/step")]
    [InlineData(0.0004, "us/step", " 400us/step")]
    public void FormatLine_StepTimeUnits_FollowKeras(double perStep, string unit, string expected)
    {
        string line = ProgressBar.FormatLine(1, 1, 0, perStep, new Dictionary<string, double>());
        Assert.EndsWith(expected, line, StringComparison.Ordinal);
        Assert.Contains(unit, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.46361, "0.4636")]
    [InlineData(1.1781e-07, "1.1781e-07")]
    [InlineData(0.0, "0.0000e+00")]
    [InlineData(-2.5, "-2.5000")]
    [InlineData(double.NaN, "nan")]
    public void AppendValue_Values_FormatLikeKeras(double value, string expected)
    {
        var sb = new StringBuilder();
        ProgressBar.AppendValue(sb, value);
        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void Fit_Verbose1Redirected_WritesEpochHeaderAndOneLinePerEpoch()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(40, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var output = new StringWriter();
        model.Fit(x, y, epochs: 2, batchSize: 16, validationSplit: 0.25, verbose: 1, output: output);
        string[] lines = output.ToString().Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Equal("Epoch 1/2", lines[0]);
        Assert.Matches(@"^2/2 ━{20} \d+s \d+(ms|us|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$", lines[1]);
        Assert.Equal("Epoch 2/2", lines[2]);
        Assert.Equal(string.Empty, lines[4]);
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void Fit_Verbose2_WritesCompactLines()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(40, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var output = new StringWriter();
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 2, output: output);
        Assert.Matches(@"^Epoch 1/1\n3/3 - \d+s - \d+(ms|us|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}\n$", output.ToString());
    }

    [Fact]
    public void Fit_Verbose0_WritesNothing()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(40, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var output = new StringWriter();
        model.Fit(x, y, epochs: 2, verbose: 0, output: output);
        model.Evaluate(x, y, verbose: 0, output: output);
        Assert.Equal(string.Empty, output.ToString());
    }

    [Fact]
    public void Evaluate_Verbose1_WritesOneKerasLine()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(40, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var output = new StringWriter();
        model.Evaluate(x, y, batchSize: 32, output: output);
        Assert.Matches(@"^2/2 ━{20} \d+s \d+(ms|us|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}\n$", output.ToString());
    }

    [Fact]
    public void Update_Interactive_RedrawsInPlaceWithCarriageReturn()
    {
        using var output = new StringWriter();
        var bar = new ProgressBar(output, verbose: 1, interactive: true);
        bar.Begin(10);
        var logs = new Dictionary<string, double> { ["loss"] = 0.5 };
        bar.Update(1, logs);
        bar.End(logs);
        string text = output.ToString();
        Assert.StartsWith("\r", text, StringComparison.Ordinal);
        // The final line is padded with spaces when it is shorter than the redrawn one (which depends on the timings).
        Assert.Matches(" - loss: 0\\.5000 *\n$", text);
        Assert.Contains("\u001b[32m", text, StringComparison.Ordinal);
    }
}
