using Xunit;

namespace NeuralNet.Data.Tests;

public class ImageFolderErrorTests
{
    private static readonly ImageFolderOptions s_small = new() { ImageSize = (2, 2), Shuffle = false };

    [Fact]
    public void Load_FileThatIsNotAnImage_NamesItsPath()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("a", "good.png"), 1, 1, 1);
        string bad = folder.WriteText(Path.Combine("a", "notes.png"), "not an image");

        var ex = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root, s_small));

        Assert.StartsWith($"Cannot decode the image '{bad}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedPng_NamesItsPath()
    {
        using var folder = new TempFolder();
        string path = TestImages.WriteGray(folder.File("a", "cut.png"), new byte[32, 32]);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var ex = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root, s_small));

        Assert.Contains($"'{path}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnumerateBatches_UndecodableImageInTheSecondBatch_FirstBatchReadThenThrows()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("a", "1.png"), 1, 1, 1);
        folder.WriteText(Path.Combine("a", "2.png"), "broken");
        using IEnumerator<ImageFolderData> batches = ImageFolder.EnumerateBatches(folder.Root, new ImageFolderOptions { ImageSize = (2, 2), Shuffle = false, BatchSize = 1 }).GetEnumerator();
        Assert.True(batches.MoveNext());
        Assert.Throws<InvalidDataException>(() => batches.MoveNext());
    }

    [Fact]
    public void EnumerateBatches_FileDeletedAfterListing_FileNotFoundNamingIt()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("a", "1.png"), 1, 1, 1);
        string gone = TestImages.WriteSolid(folder.File("a", "2.png"), 2, 2, 2);
        IEnumerable<ImageFolderData> batches = ImageFolder.EnumerateBatches(folder.Root, new ImageFolderOptions { ImageSize = (2, 2), Shuffle = false, BatchSize = 1 });
        File.Delete(gone);

        using IEnumerator<ImageFolderData> enumerator = batches.GetEnumerator();
        Assert.True(enumerator.MoveNext());
        var ex = Assert.Throws<FileNotFoundException>(() => enumerator.MoveNext());
        Assert.Contains(gone, ex.Message, StringComparison.Ordinal);
        Assert.Equal(gone, ex.FileName);
    }

    [Fact]
    public void Load_FolderWithoutSubFolders_SaysOneSubFolderPerClassIsExpected()
    {
        using var folder = new TempFolder();
        var ex = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root, s_small));
        Assert.Equal($"The image folder '{folder.Root}' has no sub-folders; expected one sub-folder of images per class (or LabelMode None to read unlabelled images).", ex.Message);
    }

    [Fact]
    public void Load_ClassFoldersWithoutImages_SaysNoImagesFound()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("a", "x"));
        Directory.CreateDirectory(folder.File("b", "x"));
        var ex = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root, s_small));
        Assert.Equal($"No images found in '{folder.Root}' (classes a, b); expected files ending with .bmp, .gif, .jpeg, .jpg, .png.", ex.Message);
    }

    [Fact]
    public void Load_MissingFolder_DirectoryNotFound()
    {
        using var folder = new TempFolder();
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(Path.Combine(folder.Root, "none"), s_small));
    }

    [Fact]
    public void Load_ClassNameNotASubFolder_ListsTheSubFolders()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("cat", "1.png"), 1, 1, 1);
        var ex = Assert.Throws<ArgumentException>(() => ImageFolder.Load(folder.Root, new ImageFolderOptions { ClassNames = ["dog"], Shuffle = false }));
        Assert.StartsWith($"Class 'dog' of ClassNames is not a sub-folder of '{folder.Root}'; expected names among: cat.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BinaryWithThreeClasses_Throws()
    {
        using var folder = new TempFolder();
        foreach (string c in new[] { "a", "b", "c" })
        {
            TestImages.WriteSolid(folder.File(c, "1.png"), 1, 1, 1);
        }

        var ex = Assert.Throws<ArgumentException>(() => ImageFolder.Load(folder.Root, new ImageFolderOptions { LabelMode = FolderLabelMode.Binary, Shuffle = false }));
        Assert.StartsWith("When LabelMode is Binary, there must be exactly 2 classes. Received: 3 (a, b, c)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SplitAndShuffleWithoutSeed_KerasError()
    {
        var ex = Assert.Throws<ArgumentException>(() => ImageFolder.Load("unused", new ImageFolderOptions { ValidationSplit = 0.2, Subset = FolderSubset.Training }));
        Assert.StartsWith("If using ValidationSplit and shuffling the data, you must provide a Seed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.2, null)]
    [InlineData(0.0, FolderSubset.Validation)]
    public void Load_SplitWithoutSubsetOrInversely_KerasError(double split, FolderSubset? subset)
    {
        var ex = Assert.Throws<ArgumentException>(() => ImageFolder.Load("unused", new ImageFolderOptions { ValidationSplit = split, Subset = subset, Seed = 1 }));
        Assert.StartsWith("If Subset is set, ValidationSplit must be set, and inversely.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadSplit_WithSubsetOrWithoutSplit_Throws()
    {
        Assert.Throws<ArgumentException>(() => ImageFolder.LoadSplit("unused", new ImageFolderOptions { ValidationSplit = 0.2, Subset = FolderSubset.Training, Seed = 1 }));
        Assert.Throws<ArgumentException>(() => ImageFolder.LoadSplit("unused", new ImageFolderOptions { Seed = 1 }));
    }

    [Fact]
    public void Load_OptionErrorsUnderGermanCulture_NumbersInvariant()
    {
        using var culture = new CultureScope("de-DE");
        var split = Assert.Throws<ArgumentException>(() => ImageFolder.Load("unused", new ImageFolderOptions { ValidationSplit = 1.5, Seed = 1 }));
        Assert.StartsWith("ValidationSplit must be between 0 and 1 (0 for no split). Received: 1.5.", split.Message, StringComparison.Ordinal);
        var both = Assert.Throws<ArgumentException>(() => ImageFolder.LoadSplit("unused", new ImageFolderOptions { ValidationSplit = 0.25, Subset = FolderSubset.Training, Seed = 1 }));
        Assert.Contains("Received: ValidationSplit=0.25, Subset=Training.", both.Message, StringComparison.Ordinal);
        var subset = Assert.Throws<ArgumentException>(() => ImageFolder.Load("unused", new ImageFolderOptions { ValidationSplit = 0.5, Seed = 1 }));
        Assert.Contains("Received: ValidationSplit=0.5, Subset=null.", subset.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SplitLeavingASubsetEmptyUnderGermanCulture_NumbersInvariant()
    {
        using var folder = new TempFolder();
        TestImages.WriteSolid(folder.File("a", "1.png"), 1, 1, 1);
        TestImages.WriteSolid(folder.File("a", "2.png"), 2, 2, 2);
        using var culture = new CultureScope("de-DE");
        var ex = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root, new ImageFolderOptions { ValidationSplit = 0.25, Subset = FolderSubset.Validation, Seed = 1 }));
        Assert.StartsWith($"A validation split of 0.25 of the 2 images in '{folder.Root}' leaves 2 for training and 0 for validation", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 5, 32, 0.0, 0L)]
    [InlineData(5, 5, 0, 0.0, 0L)]
    [InlineData(5, 5, 32, 1.0, 0L)]
    [InlineData(5, 5, 32, double.NaN, 0L)]
    [InlineData(5, 5, 32, 0.0, -1L)]
    [InlineData(5, 5, 32, 0.0, 4294967296L)]
    public void Load_OutOfRangeOption_Throws(int height, int width, int batchSize, double split, long seed)
    {
        Assert.Throws<ArgumentException>(() => ImageFolder.Load("unused", new ImageFolderOptions { ImageSize = (height, width), BatchSize = batchSize, ValidationSplit = split, Seed = seed }));
    }
}
