using SkiaSharp;
using Xunit;

namespace NeuralNet.Data.Tests;

public class ImageFolderTests
{
    private static readonly ImageFolderOptions s_sorted = new() { Shuffle = false, ImageSize = (2, 2) };

    [Fact]
    public void Load_PngsAtTheTargetSize_ExactPixelsChannelsLastAndClassLabels()
    {
        using var folder = new TempFolder();
        byte[] rgba =
        [
            255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255,
            10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255,
        ];
        TestImages.Write(folder.File("cat", "a.png"), rgba, 2, 3);
        TestImages.WriteSolid(folder.File("dog", "b.png"), 1, 2, 3, size: 3);

        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (2, 3) });

        Assert.Equal(new TensorShape(2, 2, 3, 3), data.Images.Shape);
        Assert.Equal([255f, 0f, 0f, 0f, 255f, 0f, 0f, 0f, 255f, 10f, 20f, 30f, 40f, 50f, 60f, 70f, 80f, 90f], data.Images.Slice(0, 1).ToArray());
        Assert.Equal(["cat", "dog"], data.ClassNames);
        Assert.Equal([0f, 1f], data.Labels!.ToArray());
        Assert.Equal(new TensorShape(2), data.Labels.Shape);
        Assert.Equal([Path.Combine(folder.Root, "cat", "a.png"), Path.Combine(folder.Root, "dog", "b.png")], data.FilePaths);
    }

    // Pixels on which libpng's truncated 15-bit weights and PIL's rounded 16-bit ones disagree (and some on which they agree).
    private static readonly byte[] s_grayProbe = [10, 200, 30, 255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 200, 100, 50, 77, 77, 78, 254, 255, 255];

    // TensorFlow's decode_png(channels=1) of s_grayProbe: png_set_rgb_to_gray(png, 1, 0.299, 0.587) as png_io.cc calls
    // it, run on libpng 1.6.39 (Debian 12) on the same file.
    private static readonly float[] s_libpngGray = [123, 76, 149, 29, 1, 124, 77, 254];

    // PIL's convert("L") (Pillow's rgb2l: (19595 R + 38470 G + 7471 B + 0x8000) >> 16) of s_grayProbe.
    private static readonly float[] s_pilGray = [124, 76, 150, 29, 2, 124, 77, 255];

    private static readonly ImageFolderOptions s_grayRow = new() { Shuffle = false, ImageSize = (1, 8), ColorMode = ImageColorMode.Grayscale };

    [Fact]
    public void Load_GrayscaleRgbPng_LibpngTruncatedLumaAsTensorFlow()
    {
        using var folder = new TempFolder();
        RawPng.WriteRgbRow(folder.File("c", "x.png"), s_grayProbe);
        ImageFolderData data = ImageFolder.Load(folder.Root, s_grayRow);
        Assert.Equal(new TensorShape(1, 1, 8, 1), data.Images.Shape);
        Assert.Equal(s_libpngGray, data.Images.ToArray());
    }

    [Fact]
    public void Load_GrayscalePalettePng_LibpngTruncatedLumaAsTensorFlow()
    {
        using var folder = new TempFolder();
        RawPng.WritePaletteRow(folder.File("c", "x.png"), 8, depth: 4, s_grayProbe, [0x01, 0x23, 0x45, 0x67]);
        Assert.Equal(s_libpngGray, ImageFolder.Load(folder.Root, s_grayRow).Images.ToArray());
    }

    [Fact]
    public void Load_GrayscalePngWritten_BySkiaSharp_LibpngLuma()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("c", "x.png"), 10, 200, 30, size: 2);
        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (2, 2), ColorMode = ImageColorMode.Grayscale });
        Assert.All(data.Images.ToArray(), v => Assert.Equal(123f, v)); // PIL rounds 0.299*10 + 0.587*200 + 0.114*30 = 123.81 to 124
    }

    [Theory]
    [InlineData("sRGB")]
    [InlineData("gAMA")]
    public void Load_GrayscalePngWithGammaChunk_PilLuma(string chunk)
    {
        // libpng converts such files in linear light (sRGB: 157 for the first pixel); that is not reproduced.
        using var folder = new TempFolder();
        byte[] data = chunk == "sRGB" ? [0] : [0, 0, 0xb1, 0x8f]; // rendering intent 0; gamma 45455 / 100000
        RawPng.WriteRgbRow(folder.File("c", "x.png"), s_grayProbe, (chunk, data));
        Assert.Equal(s_pilGray, ImageFolder.Load(folder.Root, s_grayRow).Images.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82 })]
    [InlineData(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10, 255, 255, 255, 255, 73, 68, 65, 84 })]
    [InlineData(new byte[] { 1, 2, 3 })]
    public void IsPlainColourPng_TruncatedOrForeign_False(byte[] file)
    {
        Assert.False(ImageDecoding.IsPlainColourPng(file));
    }

    [Fact]
    public void Load_Rgba_KeepsAlphaAndTheUnpremultipliedColour()
    {
        using var folder = new TempFolder();
        TestImages.Write(folder.File("c", "x.png"), [200, 100, 50, 128], 1, 1);
        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), ColorMode = ImageColorMode.Rgba, Shuffle = false });
        Assert.Equal([200f, 100f, 50f, 128f], data.Images.ToArray());
    }

    [Fact]
    public void Load_SmallerTarget_BilinearAsTensorFlow()
    {
        using var folder = new TempFolder();
        TestImages.WriteGray(folder.File("c", "x.png"), new byte[,] { { 10, 20, 30, 40 }, { 50, 60, 70, 80 } });
        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (2, 2), ColorMode = ImageColorMode.Grayscale });
        Assert.Equal([15f, 35f, 55f, 75f], data.Images.ToArray());
    }

    [Fact]
    public void Load_CropToAspectRatio_ResizesTheCentredWindow()
    {
        using var folder = new TempFolder();
        TestImages.WriteGray(folder.File("c", "x.png"), new byte[,] { { 10, 20, 30, 40 }, { 50, 60, 70, 80 } });
        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (2, 2), ColorMode = ImageColorMode.Grayscale, CropToAspectRatio = true });
        Assert.Equal([20f, 30f, 60f, 70f], data.Images.ToArray());
    }

    [Fact]
    public void Load_Jpeg_ColoursWithinJpegTolerance()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("c", "x.jpg"), 200, 80, 40, size: 8, format: SKEncodedImageFormat.Jpeg);
        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (8, 8) });
        float[] pixels = data.Images.ToArray();
        for (int i = 0; i < pixels.Length; i += 3)
        {
            Assert.InRange(pixels[i], 196f, 204f);
            Assert.InRange(pixels[i + 1], 76f, 84f);
            Assert.InRange(pixels[i + 2], 36f, 44f);
        }
    }

    [Fact]
    public void Load_FilesOrderedByClassThenPathIncludingNestedFolders_OtherExtensionsIgnored()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("b", "z.PNG"), 1, 1, 1);
        TestImages.WriteSolid(folder.File("b", "sub", "a.png"), 2, 2, 2);
        TestImages.WriteSolid(folder.File("a", "y.png"), 3, 3, 3);
        folder.WriteText(Path.Combine("a", "notes.txt"), "not an image");
        Directory.CreateDirectory(folder.File(".hidden", "x"));

        ImageFolderData data = ImageFolder.Load(folder.Root, s_sorted);

        Assert.Equal(["a", "b"], data.ClassNames);
        Assert.Equal([Path.Combine("a", "y.png"), Path.Combine("b", "z.PNG"), Path.Combine("b", "sub", "a.png")], data.FilePaths.Select(p => Path.GetRelativePath(folder.Root, p)));
        Assert.Equal([0f, 1f, 1f], data.Labels!.ToArray());
    }

    [Fact]
    public void Load_SymbolicLinkToAFolder_NotFollowedAsKerasOsWalk()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("a", "1.png"), 1, 1, 1);
        TestImages.WriteSolid(folder.File("outside", "2.png"), 2, 2, 2);
        try
        {
            Directory.CreateSymbolicLink(folder.File("a", "linked"), folder.File("outside"));
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return; // Windows without the right to create links
        }

        Directory.CreateDirectory(folder.File("a", "real", "deeper"));
        TestImages.WriteSolid(folder.File("a", "real", "deeper", "3.png"), 3, 3, 3);

        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (1, 1), ClassNames = ["a"] });

        Assert.Equal([Path.Combine("a", "1.png"), Path.Combine("a", "real", "deeper", "3.png")], data.FilePaths.Select(p => Path.GetRelativePath(folder.Root, p)));
    }

    [Fact]
    public void Load_FollowLinks_LinkedFolderReadUnderItsLinkPath()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("a", "1.png"), 1, 1, 1);
        TestImages.WriteSolid(folder.File("outside", "2.png"), 2, 2, 2);
        try
        {
            Directory.CreateSymbolicLink(folder.File("a", "linked"), folder.File("outside"));
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return; // Windows without the right to create links
        }

        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (1, 1), ClassNames = ["a"], FollowLinks = true });

        Assert.Equal([Path.Combine("a", "1.png"), Path.Combine("a", "linked", "2.png")], data.FilePaths.Select(p => Path.GetRelativePath(folder.Root, p)));
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], data.Images.ToArray());
    }

    [Fact]
    public void Load_LabelsGiven_WholeTreeInKerasOrderClassNamesTheDistinctLabels()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("b", "2.png"), 2, 2, 2);
        TestImages.WriteSolid(folder.File("a", "1.png"), 1, 1, 1);
        TestImages.WriteSolid(folder.File("0.png"), 0, 0, 0);

        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (1, 1), Labels = [4, 1, 4] });

        Assert.Equal([0f, 0f, 0f, 1f, 1f, 1f, 2f, 2f, 2f], data.Images.ToArray());
        Assert.Equal([4f, 1f, 4f], data.Labels!.ToArray());
        Assert.Equal(["1", "4"], data.ClassNames);
        Assert.Equal(5, data.ToLabeledDataset().ClassCount);
        var ex = Assert.Throws<ArgumentException>(() => ImageFolder.Load(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), Labels = [0, 1] }));
        Assert.StartsWith("Expected the lengths of Labels to match the number of files in the target directory. Labels has 2 while we found 3 images", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelModes_CategoricalOneHotBinaryColumnNoneWithoutLabels()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("no", "a.png"), 1, 1, 1);
        TestImages.WriteSolid(folder.File("yes", "b.png"), 2, 2, 2);
        TestImages.WriteSolid(folder.File("top.png"), 3, 3, 3);

        ImageFolderData categorical = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (2, 2), LabelMode = FolderLabelMode.Categorical });
        Assert.Equal(new TensorShape(2, 2), categorical.Labels!.Shape);
        Assert.Equal([1f, 0f, 0f, 1f], categorical.Labels.ToArray());

        ImageFolderData binary = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (2, 2), LabelMode = FolderLabelMode.Binary });
        Assert.Equal(new TensorShape(2, 1), binary.Labels!.Shape);
        Assert.Equal([0f, 1f], binary.Labels.ToArray());

        ImageFolderData none = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (2, 2), LabelMode = FolderLabelMode.None });
        Assert.Null(none.Labels);
        Assert.Empty(none.ClassNames);
        // Keras sorts os.walk by folder path: the top folder's own files come first.
        Assert.Equal(["top.png", Path.Combine("no", "a.png"), Path.Combine("yes", "b.png")], none.FilePaths.Select(p => Path.GetRelativePath(folder.Root, p)));
        Assert.Throws<InvalidOperationException>(() => none.ToLabeledDataset());
    }

    [Fact]
    public void Load_ClassNamesGiven_TheirOrderAndOnlyThem()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("a", "1.png"), 1, 1, 1);
        TestImages.WriteSolid(folder.File("b", "2.png"), 2, 2, 2);
        TestImages.WriteSolid(folder.File("c", "3.png"), 3, 3, 3);

        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { Shuffle = false, ImageSize = (1, 1), ClassNames = ["c", "a"] });

        Assert.Equal(["c", "a"], data.ClassNames);
        Assert.Equal([3f, 3f, 3f, 1f, 1f, 1f], data.Images.ToArray());
        Assert.Equal([0f, 1f], data.Labels!.ToArray());
        var dataset = data.ToLabeledDataset();
        Assert.Equal([0, 1], dataset.LabelsToArray());
        Assert.Equal(2, dataset.ClassCount);
    }

    [Fact]
    public void EnumerateBatches_FiveImagesInTwos_BatchesJoinToTheWholeLoad()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 5; i++)
        {
            TestImages.WriteSolid(folder.File(i < 3 ? "a" : "b", $"{i}.png"), (byte)i, (byte)(i * 2), (byte)(i * 3));
        }

        var options = new ImageFolderOptions { ImageSize = (2, 2), BatchSize = 2, Seed = 5 };
        ImageFolderData all = ImageFolder.Load(folder.Root, options);
        ImageFolderData[] batches = [.. ImageFolder.EnumerateBatches(folder.Root, options)];

        Assert.Equal([2, 2, 1], batches.Select(b => b.Count));
        Assert.Equal(all.Images.ToArray(), batches.SelectMany(b => b.Images.ToArray()));
        Assert.Equal(all.Labels!.ToArray(), batches.SelectMany(b => b.Labels!.ToArray()));
        Assert.Equal(all.FilePaths, batches.SelectMany(b => b.FilePaths));
    }

    [Fact]
    public void EnumerateBatches_EnumeratedAgainWithShuffle_NewOrderEachTimeSameForTheSameSeed()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 12; i++)
        {
            TestImages.WriteSolid(folder.File(i % 2 == 0 ? "a" : "b", $"{i:D2}.png"), (byte)i, 0, 0, size: 1);
        }

        var options = new ImageFolderOptions { ImageSize = (1, 1), BatchSize = 5, Seed = 1 };
        IEnumerable<ImageFolderData> batches = ImageFolder.EnumerateBatches(folder.Root, options);
        string[][] epochs = [.. Enumerable.Range(0, 3).Select(_ => batches.SelectMany(b => b.FilePaths).ToArray())];

        Assert.Equal(ImageFolder.Load(folder.Root, options).FilePaths, epochs[0]); // the first pass: Keras' file order
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[1], epochs[2]);
        Assert.All(epochs, e => Assert.Equal(epochs[0].Order(StringComparer.Ordinal), e.Order(StringComparer.Ordinal)));

        IEnumerable<ImageFolderData> again = ImageFolder.EnumerateBatches(folder.Root, options);
        Assert.Equal(epochs[0], again.SelectMany(b => b.FilePaths));
        Assert.Equal(epochs[1], again.SelectMany(b => b.FilePaths));

        // Labels and pixels follow their files into the new order.
        foreach (ImageFolderData batch in batches)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                int number = int.Parse(Path.GetFileNameWithoutExtension(batch.FilePaths[i]), System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(number % 2, batch.Labels![i]);
                Assert.Equal(number, batch.Images[i, 0, 0, 0]);
            }
        }
    }

    [Fact]
    public void EnumerateBatches_EnumeratedAgainWithoutShuffle_SameSortedOrder()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 6; i++)
        {
            TestImages.WriteSolid(folder.File("a", $"{i}.png"), (byte)i, 0, 0, size: 1);
        }

        IEnumerable<ImageFolderData> batches = ImageFolder.EnumerateBatches(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), BatchSize = 4, Shuffle = false });
        Assert.Equal(batches.SelectMany(b => b.FilePaths), batches.SelectMany(b => b.FilePaths));
    }

    [Fact]
    public void Load_Cancelled_Throws()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("a", "1.png"), 1, 1, 1);
        using var source = new CancellationTokenSource();
        source.Cancel();
        Assert.Throws<OperationCanceledException>(() => ImageFolder.Load(folder.Root, s_sorted, source.Token));
    }
}
