using Xunit;

namespace NeuralNet.Data.Tests;

public class TextFolderErrorTests
{
    [Fact]
    public void Load_FileThatIsNotUtf8_NamesItsPathAndTheByte()
    {
        using var folder = new TempFolder();
        string path = folder.File("c", "latin1.txt");
        File.WriteAllBytes(path, [(byte)'c', (byte)'a', (byte)'f', 0xE9]); // "café" in Latin-1

        var ex = Assert.Throws<InvalidDataException>(() => TextFolder.Load(folder.Root));

        Assert.StartsWith($"The text file '{path}' is not valid UTF-8: byte 3 (0xE9) does not start a valid character.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFolder_DirectoryNotFoundNamingIt()
    {
        using var folder = new TempFolder();
        string missing = Path.Combine(folder.Root, "none");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => TextFolder.Load(missing, new TextFolderOptions { LabelMode = FolderLabelMode.None }));
        Assert.Equal($"The text folder '{missing}' does not exist.", ex.Message);
    }

    [Fact]
    public void Load_FolderWithoutSubFolders_SaysOneSubFolderPerClassIsExpected()
    {
        using var folder = new TempFolder();
        folder.WriteText("a.txt", "a");
        var ex = Assert.Throws<InvalidDataException>(() => TextFolder.Load(folder.Root));
        Assert.Equal($"The text folder '{folder.Root}' has no sub-folders; expected one sub-folder of text files per class (or LabelMode None to read unlabelled text files).", ex.Message);
    }

    [Fact]
    public void Load_SplitLeavingASubsetEmpty_Throws()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("a", "1.txt"), "1");
        folder.WriteText(Path.Combine("a", "2.txt"), "2");
        var ex = Assert.Throws<InvalidDataException>(() => TextFolder.Load(folder.Root, new TextFolderOptions { ValidationSplit = 0.25, Subset = FolderSubset.Validation, Seed = 1 }));
        Assert.StartsWith($"A validation split of 0.25 of the 2 text files in '{folder.Root}' leaves 2 for training and 0 for validation", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DanglingLinkToATxtFile_FileNotFoundNamingIt()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("c", "a.txt"), "a");
        string link = folder.File("c", "b.txt");
        try
        {
            File.CreateSymbolicLink(link, Path.Combine(folder.Root, "gone.txt"));
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return; // Windows without the right to create links
        }

        // Keras' os.walk lists the link, and reading it fails.
        var ex = Assert.Throws<FileNotFoundException>(() => TextFolder.Load(folder.Root, new TextFolderOptions { Shuffle = false }));
        Assert.Contains(link, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Load_MaxLengthNotPositive_ThrowsBeforeReading(int maxLength)
    {
        var ex = Assert.Throws<ArgumentException>(() => TextFolder.Load("unused", new TextFolderOptions { MaxLength = maxLength }));
        Assert.Equal($"MaxLength must be a positive number of bytes, or null to read whole texts. Received: {maxLength}. (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Load_LabelErrors_ThrownBeforeTheFolderIsRead()
    {
        var negative = Assert.Throws<ArgumentException>(() => TextFolder.Load("unused", new TextFolderOptions { Labels = [0, 1, -1] }));
        Assert.StartsWith("Labels must be non-negative integers. Received: Labels[2]=-1.", negative.Message, StringComparison.Ordinal);
        var none = Assert.Throws<ArgumentException>(() => TextFolder.Load("unused", new TextFolderOptions { Labels = [0, 1], LabelMode = FolderLabelMode.None }));
        Assert.StartsWith("Labels cannot be given with LabelMode None", none.Message, StringComparison.Ordinal);
        var classes = Assert.Throws<ArgumentException>(() => TextFolder.Load("unused", new TextFolderOptions { ClassNames = ["a"], LabelMode = FolderLabelMode.None }));
        Assert.StartsWith("ClassNames cannot be given with LabelMode None", classes.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadSplit_WithSubsetOrWithoutSplit_Throws()
    {
        Assert.Throws<ArgumentException>(() => TextFolder.LoadSplit("unused", new TextFolderOptions { ValidationSplit = 0.2, Subset = FolderSubset.Training, Seed = 1 }));
        Assert.Throws<ArgumentException>(() => TextFolder.LoadSplit("unused", new TextFolderOptions { Seed = 1 }));
        Assert.Throws<ArgumentNullException>(() => TextFolder.LoadSplit("unused", null!));
    }

    [Fact]
    public void Load_OptionErrorsUnderGermanCulture_NumbersInvariant()
    {
        using var culture = new CultureScope("de-DE");
        var split = Assert.Throws<ArgumentException>(() => TextFolder.Load("unused", new TextFolderOptions { ValidationSplit = 1.5, Seed = 1 }));
        Assert.StartsWith("ValidationSplit must be between 0 and 1 (0 for no split). Received: 1.5.", split.Message, StringComparison.Ordinal);
    }
}
