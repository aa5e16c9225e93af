using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using ScottPlot;
using Xunit;

namespace NeuralNet.Plotting.Tests;

public sealed class TrainingCurvesTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static Dictionary<string, IReadOnlyList<double>> KerasHistory() => new()
    {
        ["loss"] = [0.2648, 0.1071, 0.0705, 0.0504, 0.0373],
        ["accuracy"] = [0.9236, 0.9683, 0.9784, 0.9847, 0.9886],
        ["val_loss"] = [0.1319, 0.0992, 0.0822, 0.0741, 0.0712],
        ["val_accuracy"] = [0.9608, 0.9705, 0.9752, 0.9781, 0.9789],
    };

    [Fact]
    public void Save_LossAndAccuracy_WritesTwoPanelsSideBySide()
    {
        string path = _folder.File("curves.png");

        TrainingCurves.Save(path, KerasHistory(), "784-512-10, Adam");

        (int width, int height) = Png.ReadSize(path);
        Assert.Equal(2 * 640, width);
        Assert.Equal(Figure.TitleBandHeight + 480, height);
        Png.AssertOnlyFile(_folder.Root, path);

        // Both panels hold a training (blue) and a validation (red) curve.
        foreach (int left in new[] { 0, 640 })
        {
            Assert.True(Png.CountColumnsNear(path, Figure.SeriesColor(0), left, left + 640) > 300, $"no training curve in the panel at x = {left}");
            Assert.True(Png.CountColumnsNear(path, Figure.SeriesColor(1), left, left + 640) > 300, $"no validation curve in the panel at x = {left}");
        }
    }

    [Fact]
    public void Save_StaleTemporaryFileOfAKilledWrite_IsRemovedByTheNextSave()
    {
        // What a process killed mid-write leaves where the file system has no unnamed files (AtomicFile's named fallback).
        string path = _folder.File("curves.png");
        File.WriteAllBytes(_folder.File(".curves.png.0123456789abcdef0123456789abcdef.tmp"), [1, 2, 3]);

        TrainingCurves.Save(path, KerasHistory(), "t");

        Png.AssertOnlyFile(_folder.Root, path);
    }

    [Fact]
    public void Save_WithTitle_DrawsTheTitleText()
    {
        // Guards against pictures without text (no font found): the title band holds only the title's letters.
        string titled = _folder.File("titled.png");

        TrainingCurves.Save(titled, KerasHistory(), "784-512-10, Adam");

        int dark = Png.CountPixels(titled, (x, y, c) => y < Figure.TitleBandHeight && c.Red < 100 && c.Green < 100 && c.Blue < 100);
        Assert.True(dark > 150, $"found only {dark} dark pixels in the title band");
    }

    [Fact]
    public void Save_FourMetrics_WrapsPanelsIntoRowsOfThree()
    {
        Dictionary<string, IReadOnlyList<double>> history = KerasHistory();
        history["lr"] = [1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4];
        history["val_precision"] = [0.9, 0.92, 0.93, 0.94, 0.95];
        string path = _folder.File("four.png");

        TrainingCurves.Save(path, history, string.Empty);

        Assert.Equal((3 * 640, 2 * 480), Png.ReadSize(path));

        // Panels in order loss, accuracy, lr (training only: blue), precision (validation only: red).
        (int X, int Y, int Color)[] expected = [(0, 0, 0), (0, 0, 1), (640, 0, 0), (640, 0, 1), (1280, 0, 0), (0, 480, 1)];
        foreach ((int x, int y, int color) in expected)
        {
            int count = Png.CountPixels(path, (px, py, c) => px >= x && px < x + 640 && py >= y && py < y + 480 && Png.IsNear(c, Figure.SeriesColor(color), 30));
            Assert.True(count > 300, $"series colour {color} missing from the panel at ({x}, {y})");
        }

        int redInLr = Png.CountPixels(path, (px, py, c) => px >= 1280 && py < 480 && Png.IsNear(c, Figure.SeriesColor(1), 30));
        Assert.Equal(0, redInLr);
    }

    [Fact]
    public void Save_NaNLossAndSingleEpoch_StillWritesPng()
    {
        var history = new Dictionary<string, IReadOnlyList<double>>
        {
            ["loss"] = [double.NaN],
            ["accuracy"] = [0.11],
        };
        string path = _folder.File("diverged.png");

        TrainingCurves.Save(path, history, "diverged");

        Assert.Equal((1280, Figure.TitleBandHeight + 480), Png.ReadSize(path));

        // The loss panel draws no line (it says "no finite values") and no legend.
        Assert.Equal(0, Png.CountColumnsNear(path, Figure.SeriesColor(0), 0, 640));
    }

    [Fact]
    public void CreatePanels_SingleEpoch_DrawsItsMarker()
    {
        Plot accuracy = TrainingCurves.CreatePanels(new Dictionary<string, IReadOnlyList<double>> { ["accuracy"] = [0.11] }, epochs: null)[0];

        using SkiaSharp.SKBitmap bitmap = Png.Render(accuracy, 640, 480);

        Pixel point = accuracy.GetPixel(new Coordinates(1, 0.11));
        Assert.True(Png.CountNear(bitmap, Figure.SeriesColor(0), point.X - 5, point.X + 5, point.Y - 5, point.Y + 5) > 20, "the single accuracy point is missing");
    }

    [Fact]
    public void Save_MissingFolders_CreatesThemAndOverwritesExistingFile()
    {
        string path = _folder.File("a", "b", "curves.png");

        TrainingCurves.Save(path, KerasHistory(), "first");
        long firstLength = new FileInfo(path).Length;
        TrainingCurves.Save(path, new Dictionary<string, IReadOnlyList<double>> { ["loss"] = [1.0, 0.5] }, "second");

        Assert.Equal((640, Figure.TitleBandHeight + 480), Png.ReadSize(path));
        Assert.NotEqual(firstLength, new FileInfo(path).Length);
        Assert.Single(Directory.GetFiles(_folder.File("a", "b")));
    }

    /// <summary>What Fit records for a run resumed at epoch index 3 of 5 (Keras' initial_epoch=3): epochs [3, 4].</summary>
    private static History ResumedHistory()
    {
        Tensor x = Tensor.FromArray([0, 0, 0, 1, 1, 0, 1, 1], 4, 2);
        Tensor y = Tensor.FromArray([1, 0, 0, 1, 0, 1, 1, 0], 4, 2);
        var model = new Sequential([new InputLayer(2), new Dense(2, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
        return model.Fit(x, y, epochs: 5, validationData: (x, y), verbose: 0, initialEpoch: 3);
    }

    [Fact]
    public void CreatePanels_ResumedHistory_DrawsAtItsEpochs()
    {
        History history = ResumedHistory();
        Assert.Equal([3, 4], history.Epochs);

        List<Plot> panels = TrainingCurves.CreatePanels(TrainingCurves.Metrics(history), TrainingCurves.Epochs(history));

        Assert.Equal(2, panels.Count);
        foreach (Plot panel in panels)
        {
            AxisLimits limits = panel.Axes.GetLimits();
            Assert.Equal((3.5, 5.5), (limits.Left, limits.Right));
            foreach (ScottPlot.Plottables.Scatter line in panel.GetPlottables<ScottPlot.Plottables.Scatter>())
            {
                Assert.Equal([4.0, 5.0], line.Data.GetScatterPoints().Select(p => p.X));
            }
        }
    }

    [Fact]
    public void CreatePanels_ValidatedEveryOtherEpoch_DrawsValidationAtItsEpochs()
    {
        Tensor x = Tensor.FromArray([0, 0, 0, 1, 1, 0, 1, 1], 4, 2);
        Tensor y = Tensor.FromArray([1, 0, 0, 1, 0, 1, 1, 0], 4, 2);
        var model = new Sequential([new InputLayer(2), new Dense(2, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        History history = model.Fit(x, y, epochs: 5, validationData: (x, y), verbose: 0, validationFreq: 2);

        Plot loss = TrainingCurves.CreatePanels(TrainingCurves.Metrics(history), TrainingCurves.Epochs(history))[0];

        ScottPlot.Plottables.Scatter[] lines = [.. loss.GetPlottables<ScottPlot.Plottables.Scatter>()];
        Assert.Equal([1.0, 2.0, 3.0, 4.0, 5.0], lines[0].Data.GetScatterPoints().Select(p => p.X));
        Assert.Equal([2.0, 4.0], lines[1].Data.GetScatterPoints().Select(p => p.X));
        Assert.Equal((0.5, 5.5), (loss.Axes.GetLimits().Left, loss.Axes.GetLimits().Right));
    }

    [Fact]
    public void CreatePanels_Dictionary_DrawsFromEpochOne()
    {
        List<Plot> panels = TrainingCurves.CreatePanels(KerasHistory(), epochs: null);

        AxisLimits limits = panels[0].Axes.GetLimits();
        Assert.Equal((0.5, 5.5), (limits.Left, limits.Right));
    }

    [Fact]
    public void Save_History_WritesItsPanels()
    {
        string path = _folder.File("resumed.png");

        TrainingCurves.Save(path, ResumedHistory(), "resumed at epoch 4");

        Assert.Equal((2 * 640, Figure.TitleBandHeight + 480), Png.ReadSize(path));
    }

    [Fact]
    public void Save_NullHistory_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => TrainingCurves.Save(_folder.File("x.png"), (History)null!, "t"));
    }

    [Theory]
    [InlineData(new[] { 0.9, 0.5, 0.35, 0.3, 0.28 }, new[] { 0.3, 0.31, 0.33, 0.5, 0.95 })]  // one falls, one rises (a tie)
    [InlineData(new[] { 0.91, 0.96, 0.97, 0.975, 0.98 }, new[] { 0.95, 0.97, 0.975, 0.97, 0.978 })] // accuracies
    [InlineData(new[] { 0.3, 0.14, 0.1, 0.08, 0.07 }, new[] { 0.16, 0.11, 0.09, 0.1, 0.12 })]  // losses, validation turning up
    [InlineData(new[] { 0.1, 0.9, 0.1, 0.9, 0.1, 0.9 }, new[] { 0.9, 0.1, 0.9, 0.1, 0.9, 0.1 })] // everywhere: legend outside
    public void CreatePanels_LegendInsideThePanel_HidesNoData(double[] training, double[] validation)
    {
        var metrics = new Dictionary<string, IReadOnlyList<double>> { ["loss"] = training, ["val_loss"] = validation };
        Plot panel = TrainingCurves.CreatePanels(metrics, epochs: null)[0];

        int hidden = Png.SeriesPixelsUnderLegend(panel, 640, 480, seriesCount: 2);

        Assert.Equal(0, hidden);
        Assert.Equal(["training", "validation"], panel.Legend.GetItems().Select(i => i.LabelText));
        Assert.True(panel.Legend.IsVisible || panel.Axes.GetPanels().OfType<ScottPlot.Panels.LegendPanel>().Any(), "no legend is drawn");
    }

    [Fact]
    public void PanelNames_KerasOrder_PutsLossThenAccuracyThenOthers()
    {
        List<string> names = TrainingCurves.PanelNames(["val_accuracy", "lr", "accuracy", "val_loss", "loss", "val_auc"]);

        Assert.Equal(["loss", "accuracy", "lr", "auc"], names);
    }

    [Fact]
    public void Save_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => TrainingCurves.Save(null!, KerasHistory(), "t"));
        Assert.Throws<ArgumentNullException>(() => TrainingCurves.Save(_folder.File("x.png"), (IReadOnlyDictionary<string, IReadOnlyList<double>>)null!, "t"));
        Assert.Throws<ArgumentNullException>(() => TrainingCurves.Save(_folder.File("x.png"), KerasHistory(), null!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("curves.jpg")]
    [InlineData("curves")]
    public void Save_PathNotPng_ThrowsArgumentException(string name)
    {
        string path = name.Length == 0 ? name : _folder.File(name);

        var ex = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(path, KerasHistory(), "t"));

        Assert.Equal("path", ex.ParamName);
    }

    [Fact]
    public void Save_MorePanelsThanFitInOnePicture_ThrowsNamingTheLimit()
    {
        Assert.Equal(102, TrainingCurves.MaxPanels);
        var metrics = new Dictionary<string, IReadOnlyList<double>>();
        for (int i = 0; i <= TrainingCurves.MaxPanels; i++)
        {
            metrics[$"m{i}"] = [1.0, 0.5];
            metrics[$"val_m{i}"] = [1.0, 0.6];
        }

        string path = _folder.File("many.png");

        var ex = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(path, metrics, "t"));

        Assert.Equal("metricsPerEpoch", ex.ParamName);
        Assert.Contains("103 metrics need 103 panels, more than the 102", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Save_PathIsAnExistingFolder_ThrowsArgumentExceptionBeforeDrawing()
    {
        string folder = _folder.File("curves.png");
        Directory.CreateDirectory(folder);

        var ex = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(folder, KerasHistory(), "t"));
        var bars = Assert.Throws<ArgumentException>(() => BarChart.Save(folder, ["a"], [1.0], "t", "y"));

        Assert.Equal("path", ex.ParamName);
        Assert.Equal("path", bars.ParamName);
        Assert.Contains("names a folder", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void Save_NoMetrics_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            TrainingCurves.Save(_folder.File("x.png"), new Dictionary<string, IReadOnlyList<double>>(), "t"));

        Assert.Equal("metricsPerEpoch", ex.ParamName);
        Assert.False(File.Exists(_folder.File("x.png")));
    }

    [Fact]
    public void Save_EmptyOrNullSeries_ThrowsNamingTheMetric()
    {
        var empty = new Dictionary<string, IReadOnlyList<double>> { ["loss"] = [0.5], ["val_loss"] = [] };
        var missing = new Dictionary<string, IReadOnlyList<double>> { ["accuracy"] = null! };

        var ex1 = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(_folder.File("x.png"), empty, "t"));
        var ex2 = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(_folder.File("x.png"), missing, "t"));

        Assert.Contains("'val_loss'", ex1.Message, StringComparison.Ordinal);
        Assert.Contains("'accuracy'", ex2.Message, StringComparison.Ordinal);
    }
}
