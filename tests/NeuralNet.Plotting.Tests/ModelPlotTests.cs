using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Plotting.Tests;

public class ModelPlotTests
{
    private static Sequential Mlp() => new([new InputLayer(784), new Dense(64, ActivationFunction.Relu), new Dropout(0.2), new Dense(10, ActivationFunction.Softmax)]);

    [GraphvizFact]
    public void Save_Png_DrawsAColumnTopToBottomAndARowLeftToRight()
    {
        using var folder = new TempFolder();
        string column = ModelPlot.Save(Mlp(), folder.File("column.png"));
        string row = ModelPlot.Save(Mlp(), folder.File("row.png"), new ModelDiagramOptions { RankDirection = "LR" });

        var (columnWidth, columnHeight) = Png.ReadSize(column);
        var (rowWidth, rowHeight) = Png.ReadSize(row);
        Assert.True(columnHeight > columnWidth, $"three boxes top to bottom should be taller than wide: {columnWidth}x{columnHeight}");
        Assert.True(rowWidth > rowHeight, $"three boxes left to right should be wider than tall: {rowWidth}x{rowHeight}");
        // The title cells are black (Keras' bgcolor="black"): a large share of the picture.
        Assert.True(Png.CountPixels(column, c => c.Red < 20 && c.Green < 20 && c.Blue < 20) > columnWidth * columnHeight / 20, "no black title cells drawn");
    }

    [GraphvizFact]
    public void Save_Svg_ShowsClassesAndOnRequestNames()
    {
        using var folder = new TempFolder();
        string plain = File.ReadAllText(ModelPlot.Save(Mlp(), folder.File("plain.svg")));
        string shapes = File.ReadAllText(ModelPlot.Save(Mlp(), folder.File("shapes.svg"), new ModelDiagramOptions { ShowShapes = true }));
        string named = File.ReadAllText(ModelPlot.Save(Mlp(), folder.File("named.svg"), new ModelDiagramOptions { ShowShapes = true, ShowLayerNames = true }));

        // plot_model's default hides names, with other options set too: the boxes show classes only.
        Assert.Equal(2, CountOf(plain, ">Dense</text>"));
        Assert.DoesNotContain(">dense_1</text>", plain, StringComparison.Ordinal);
        Assert.DoesNotContain(">dense_1</text>", shapes, StringComparison.Ordinal);
        Assert.Contains("(None, 784)", shapes, StringComparison.Ordinal);
        Assert.Contains(">dense_1</text>", named, StringComparison.Ordinal);
        Assert.Contains("(None, 784)", named, StringComparison.Ordinal);
        Assert.Contains("(None, 10)", named, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_DotFile_IsTheDiagramTextAndNeedsNoGraphviz()
    {
        using var folder = new TempFolder();
        Sequential model = Mlp();
        string path = ModelPlot.Save(model, folder.File("sub", "model.dot"), dotProgram: folder.File("no-such-dot"));
        // plot_model's default: no layer names.
        Assert.Equal(ModelDiagram.ToDot(model, new ModelDiagramOptions { ShowLayerNames = false }), File.ReadAllText(path));
    }

    [Fact]
    public void Save_WithoutGraphviz_SaysWhatToInstallAndWritesNothing()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<InvalidOperationException>(() => ModelPlot.Save(Mlp(), folder.File("model.png"), dotProgram: folder.File("no-such-dot")));
        Assert.Contains("Graphviz", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install graphviz", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder.Root));
    }

    [UnixFact]
    public void Save_WhenGraphvizFails_KeepsTheOldFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.png");
        File.WriteAllText(path, "old picture");
        // It exits without reading a text larger than a pipe holds, so the write fails part-way, every time.
        string failing = Script(folder, "failing-dot", "echo 'Error: syntax error in line 1' >&2; exit 3");
        var error = Assert.Throws<InvalidOperationException>(() => ModelPlot.Save(Deep(), path, new ModelDiagramOptions { ShowShapes = true }, dotProgram: failing));
        Assert.Contains("exit code 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("syntax error in line 1", error.Message, StringComparison.Ordinal);
        Assert.Equal("old picture", File.ReadAllText(path));
    }

    [UnixFact]
    public void Save_Cancelled_StopsGraphvizAndKeepsTheOldFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.png");
        File.WriteAllText(path, "old picture");
        // It never reads: the write of a text larger than a pipe holds blocks until cancelling stops the program, and the
        // program's own child (its sleep, whose id it writes down) is stopped with it.
        string pidFile = folder.File("child.pid");
        string hanging = Script(folder, "hanging-dot", $"sleep 60 & echo $! > '{pidFile}'; wait");
        Sequential deep = Deep();
        using var cancel = new CancellationTokenSource();
        // Cancel once the program runs (it has written its child's id), while the write waits on it.
        Task canceller = Task.Run(() =>
        {
            SpinWait.SpinUntil(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, TimeSpan.FromSeconds(20));
            Thread.Sleep(200);
            cancel.Cancel();
        });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => ModelPlot.Save(deep, path, new ModelDiagramOptions { ShowShapes = true }, dotProgram: hanging, cancellationToken: cancel.Token));
        canceller.Wait();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the cancelled drawing took {watch.Elapsed}, as if the program had not been stopped");
        Assert.Equal("old picture", File.ReadAllText(path));
        int child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(SpinWait.SpinUntil(() => !Directory.Exists($"/proc/{child}") || File.ReadAllText($"/proc/{child}/stat").Split(' ')[2] == "Z", TimeSpan.FromSeconds(10)),
            $"the program's child {child} still runs after the cancellation");
    }

    [Theory]
    [InlineData("model.txt", "'.txt'")]
    [InlineData("", "empty")]
    public void Save_BadPath_IsRefusedBeforeDrawing(string name, string expected)
    {
        using var folder = new TempFolder();
        string path = name.Length == 0 ? "" : folder.File(name);
        var error = Assert.Throws<ArgumentException>(() => ModelPlot.Save(Mlp(), path, dotProgram: folder.File("no-such-dot")));
        Assert.Equal("path", error.ParamName);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder.Root));
    }

    // 300 layers with shapes: a DOT text of over 100 kB, more than a pipe's buffer.
    private static Sequential Deep()
    {
        var model = new Sequential([new InputLayer(8), .. Enumerable.Range(0, 300).Select(_ => new Dense(8))]);
        Assert.True(ModelDiagram.ToDot(model, new ModelDiagramOptions { ShowShapes = true }).Length > 100_000);
        return model;
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string Script(TempFolder folder, string name, string body)
    {
        string path = folder.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        // UnixFact skips these tests on Windows; the guard tells the platform analyzer so.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
