using Xunit;

namespace NeuralNet.Data.Tests;

public class ImageFolderSplitTests
{
    private static TempFolder TenImages()
    {
        var folder = new TempFolder();
        for (int i = 0; i < 10; i++)
        {
            TestImages.WriteSolid(folder.File(i % 2 == 0 ? "even" : "odd", $"f{i}.png"), (byte)(i * 20), 0, 0, size: 1);
        }

        return folder;
    }

    private static string[] Names(ImageFolderData data) => [.. data.FilePaths.Select(Path.GetFileNameWithoutExtension)!];

    [Fact]
    public void Load_ShuffleSeed0_KerasFileOrder()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 10; i++)
        {
            TestImages.WriteSolid(folder.File("c", $"f{i}.png"), (byte)i, 0, 0, size: 1);
        }

        ImageFolderData data = ImageFolder.Load(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), Seed = 0 });

        // Keras lists f0..f9 and shuffles them with np.random.RandomState(0), whose permutation(10) is [2 8 4 9 1 6 7 3 0 5].
        Assert.Equal(["f2", "f8", "f4", "f9", "f1", "f6", "f7", "f3", "f0", "f5"], Names(data));
        Assert.Equal([2f, 8f, 4f, 9f, 1f, 6f, 7f, 3f, 0f, 5f], data.Images.ToArray().Chunk(3).Select(p => p[0]));
    }

    [Fact]
    public void LoadSplit_Seeded_DisjointSubsetsCoveringEveryFileInKerasProportions()
    {
        using TempFolder folder = TenImages();
        var options = new ImageFolderOptions { ImageSize = (1, 1), ValidationSplit = 0.25, Seed = 7 };

        (ImageFolderData training, ImageFolderData validation) = ImageFolder.LoadSplit(folder.Root, options);

        Assert.Equal(8, training.Count); // floor(0.25 x 10) = 2 for validation, as Keras' int()
        Assert.Equal(2, validation.Count);
        Assert.Empty(training.FilePaths.Intersect(validation.FilePaths));
        Assert.Equal(10, training.FilePaths.Union(validation.FilePaths).Count());
        for (int i = 0; i < validation.Count; i++)
        {
            bool odd = Names(validation)[i][1..] is "1" or "3" or "5" or "7" or "9";
            Assert.Equal(odd ? 1f : 0f, validation.Labels![i]);
        }
    }

    [Fact]
    public void Load_SubsetsOfOneSeed_SameAsLoadSplitAndReproducible()
    {
        using TempFolder folder = TenImages();
        var both = new ImageFolderOptions { ImageSize = (1, 1), ValidationSplit = 0.3, Seed = 11 };
        (ImageFolderData training, ImageFolderData validation) = ImageFolder.LoadSplit(folder.Root, both);

        ImageFolderData trainingAgain = ImageFolder.Load(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), ValidationSplit = 0.3, Seed = 11, Subset = FolderSubset.Training });
        ImageFolderData validationAgain = ImageFolder.Load(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), ValidationSplit = 0.3, Seed = 11, Subset = FolderSubset.Validation });

        Assert.Equal(training.FilePaths, trainingAgain.FilePaths);
        Assert.Equal(validation.FilePaths, validationAgain.FilePaths);
        Assert.Equal(training.Images.ToArray(), trainingAgain.Images.ToArray());
        Assert.Equal(3, validation.Count);
    }

    [Fact]
    public void Load_OtherSeed_OtherOrder()
    {
        using TempFolder folder = TenImages();
        string[] first = Names(ImageFolder.Load(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), Seed = 1 }));
        string[] second = Names(ImageFolder.Load(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), Seed = 2 }));
        Assert.NotEqual(first, second);
        Assert.Equal(first.Order(), second.Order());
    }

    [Fact]
    public void Load_SplitTooSmallForOneValidationImage_Throws()
    {
        using TempFolder folder = TenImages();
        var ex = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root, new ImageFolderOptions { ImageSize = (1, 1), ValidationSplit = 0.05, Seed = 1, Subset = FolderSubset.Training }));
        Assert.Contains("leaves 10 for training and 0 for validation", ex.Message, StringComparison.Ordinal);
    }
}
