using Xunit;

namespace NeuralNet.Plotting.Tests;

public sealed class ImageGridTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly int[] s_labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

    /// <summary>Ten deterministic 28x28 images in [0, 1] (rings and bars), flattened to (10, 784).</summary>
    private static Tensor Digits(int count = 10)
    {
        var data = new float[count * 784];
        for (int k = 0; k < count; k++)
        {
            for (int y = 0; y < 28; y++)
            {
                for (int x = 0; x < 28; x++)
                {
                    double r = Math.Sqrt(((x - 13.5) * (x - 13.5)) + ((y - 13.5) * (y - 13.5)));
                    data[(k * 784) + (y * 28) + x] = k % 2 == 0
                        ? (float)Math.Max(0, 1 - (Math.Abs(r - (5 + (k % 10 * 0.5))) / 2))
                        : Math.Abs(x - (8 + (k % 10))) < 2 && y > 4 && y < 24 ? 1f : 0f;
                }
            }
        }

        return Tensor.FromArray(data, count, 784);
    }

    [Fact]
    public void Save_TwoByFiveWithPredictions_WritesPngWiderThanTall()
    {
        string path = _folder.File("e0.4", "grid.png");

        ImageGrid.Save(path, Digits(), s_labels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], columns: 5, "test images");

        (int width, int height) = Png.ReadSize(path);
        Assert.True(width > height, $"a 2x5 grid should be wider than tall, got {width}x{height}");
        Png.AssertOnlyFile(_folder.Root, path);
    }

    [Fact]
    public void Save_WithoutLabels_WritesAShorterGridWithNoCaptions()
    {
        string captioned = _folder.File("captioned.png");
        string bare = _folder.File("generated.png");

        ImageGrid.Save(captioned, Digits(), s_labels, null, columns: 5, "samples");
        ImageGrid.Save(bare, Digits(), columns: 5, "samples");

        (int width, int height) = Png.ReadSize(bare);
        (int captionedWidth, int captionedHeight) = Png.ReadSize(captioned);
        Assert.Equal(captionedWidth, width);
        Assert.Equal(captionedHeight - (2 * 22), height); // two rows, one caption line (22 px) each
        Assert.Throws<ArgumentNullException>(() => ImageGrid.Save(bare, null!, 5, "t"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Save(bare, Digits(), 0, "t"));
    }

    [Fact]
    public void Save_WrongPrediction_WritesRedCaption()
    {
        string allRight = _folder.File("right.png");
        string oneWrong = _folder.File("wrong.png");

        ImageGrid.Save(allRight, Digits(), s_labels, s_labels, 5, "t");
        ImageGrid.Save(oneWrong, Digits(), s_labels, [0, 1, 2, 8, 4, 5, 6, 7, 8, 9], 5, "t");

        Assert.Equal(0, Png.CountPixels(allRight, Png.IsRed));
        Assert.True(Png.CountPixels(oneWrong, Png.IsRed) > 20);
    }

    [Fact]
    public void Save_ImageShapes_AllAccepted()
    {
        Tensor flat = Digits(3);
        int[] labels = [0, 1, 2];

        ImageGrid.Save(_folder.File("hw.png"), flat.Reshape(3, 28, 28), labels, null, 3, "(N, 28, 28)");
        ImageGrid.Save(_folder.File("hwc.png"), flat.Reshape(3, 28, 28, 1), labels, null, 3, "(N, 28, 28, 1)");
        ImageGrid.Save(_folder.File("flat.png"), flat, labels, null, 3, "(N, 784)");

        Assert.Equal(Png.ReadSize(_folder.File("flat.png")), Png.ReadSize(_folder.File("hw.png")));
        Assert.Equal(Png.ReadSize(_folder.File("flat.png")), Png.ReadSize(_folder.File("hwc.png")));
    }

    [Fact]
    public void Save_MoreColumnsThanImages_UsesOneRow()
    {
        string path = _folder.File("row.png");

        ImageGrid.Save(path, Digits(2), [0, 1], null, columns: 10, string.Empty);

        (int width, int height) = Png.ReadSize(path);
        Assert.True(height < 200, $"one row of captioned 112px images, got height {height}");
        Assert.True(width < 400, $"two cells only, got width {width}");
    }

    [Fact]
    public void Save_ZeroIsBlackAndOneIsWhite()
    {
        string path = _folder.File("bw.png");
        var data = new float[2 * 4];
        Array.Fill(data, 1f, 4, 4);

        ImageGrid.Save(path, Tensor.FromArray(data, 2, 2, 2), [0, 1], null, 2, string.Empty);

        // No title: 10 px margin; cells 132 px wide (112 px image + 2 x 10 px padding), so image 0 spans x 20..132 and
        // image 1 spans x 152..264, both y 10..122. Image 0 is all zeros, image 1 all ones.
        SkiaSharp.SKColor first = Png.PixelAt(path, 76, 66);
        SkiaSharp.SKColor second = Png.PixelAt(path, 208, 66);
        Assert.Equal((byte)0, first.Red);
        Assert.Equal((byte)255, second.Red);
        Assert.Equal(first.Red, first.Blue);
        Assert.Equal(second.Red, second.Green);
    }

    [Fact]
    public void SaveComparison_ThreeModels_WritesPngWithRedForWrongModel()
    {
        string path = _folder.File("models.png");
        var predictions = new Dictionary<string, IReadOnlyList<int>>
        {
            ["scratch"] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 4],
            ["scikit-learn"] = s_labels,
            ["Keras"] = s_labels,
        };

        ImageGrid.SaveComparison(path, Digits(), s_labels, predictions, 5, "three models");

        Assert.True(Png.ReadSize(path).Height > 300);
        Assert.True(Png.CountPixels(path, Png.IsRed) > 20);
    }

    [Fact]
    public void Save_UnsupportedShape_ThrowsNamingTheShape()
    {
        var rgb = new Tensor(2, 28, 28, 3);
        var notSquare = new Tensor(2, 780);

        var ex1 = Assert.Throws<ArgumentException>(() => ImageGrid.Save(_folder.File("x.png"), rgb, [0, 1], null, 2, "t"));
        var ex2 = Assert.Throws<ArgumentException>(() => ImageGrid.Save(_folder.File("x.png"), notSquare, [0, 1], null, 2, "t"));

        Assert.Contains("(2, 28, 28, 3)", ex1.Message, StringComparison.Ordinal);
        Assert.Contains("780", ex2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_PixelsOutsideUnitRange_ThrowsSuggestingScaling()
    {
        Tensor images = Digits(2);
        images.AsSpan()[784 + 5] = 255f;

        var ex = Assert.Throws<ArgumentException>(() => ImageGrid.Save(_folder.File("x.png"), images, [0, 1], null, 2, "t"));

        Assert.Contains("image 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1/255", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_LabelCountsDiffer_ThrowArgumentException()
    {
        var ex1 = Assert.Throws<ArgumentException>(() => ImageGrid.Save(_folder.File("x.png"), Digits(), [0, 1, 2], null, 5, "t"));
        var ex2 = Assert.Throws<ArgumentException>(() => ImageGrid.Save(_folder.File("x.png"), Digits(), s_labels, [1, 2], 5, "t"));

        Assert.Equal("trueLabels", ex1.ParamName);
        Assert.Equal("predictedLabels", ex2.ParamName);
    }

    [Fact]
    public void Save_OtherBadInputs_Throw()
    {
        string path = _folder.File("x.png");
        Assert.Throws<ArgumentNullException>(() => ImageGrid.Save(path, null!, s_labels, null, 5, "t"));
        Assert.Throws<ArgumentNullException>(() => ImageGrid.Save(path, Digits(), null!, null, 5, "t"));
        Assert.Throws<ArgumentNullException>(() => ImageGrid.Save(path, Digits(), s_labels, null, 5, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Save(path, Digits(), s_labels, null, 0, "t"));
        Assert.Throws<ArgumentException>(() => ImageGrid.Save(path, new Tensor(1000, 4), new int[1000], null, 1000, "t"));
        Assert.Throws<ArgumentException>(() => ImageGrid.Save(path, Digits(), [0, 1, 2, 3, 4, 5, 6, 7, 8, -1], null, 5, "t"));
        Assert.Throws<ArgumentException>(() => ImageGrid.Save(path, new Tensor(ImageGrid.MaxImages + 1, 4), new int[ImageGrid.MaxImages + 1], null, 5, "t"));
        Assert.Throws<ArgumentException>(() => ImageGrid.Save(_folder.File("x.gif"), Digits(), s_labels, null, 5, "t"));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void SaveComparison_BadInputs_Throw()
    {
        string path = _folder.File("x.png");
        Assert.Throws<ArgumentNullException>(() => ImageGrid.SaveComparison(path, Digits(), s_labels, null!, 5, "t"));
        Assert.Throws<ArgumentException>(() => ImageGrid.SaveComparison(path, Digits(), s_labels, new Dictionary<string, IReadOnlyList<int>>(), 5, "t"));
        var ex = Assert.Throws<ArgumentException>(() => ImageGrid.SaveComparison(path, Digits(), s_labels, new Dictionary<string, IReadOnlyList<int>> { ["Keras"] = [1] }, 5, "t"));
        Assert.Contains("'Keras'", ex.Message, StringComparison.Ordinal);
    }
}
