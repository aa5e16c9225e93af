using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public class MnistTests
{
    [Fact]
    public void LoadFiles_LabelAboveNine_ThrowsNamingFileAndOffset()
    {
        using var folder = new TempFolder();
        string images = folder.File("images");
        string labels = folder.File("labels");
        File.WriteAllBytes(images, IdxTestData.Build([3, 28, 28], new byte[3 * 784]));
        File.WriteAllBytes(labels, IdxTestData.Build([3], [1, 12, 3]));

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Mnist.LoadFiles(images, labels));

        Assert.Contains(labels, ex.Message, StringComparison.Ordinal);
        Assert.Contains("at byte offset 9", ex.Message, StringComparison.Ordinal);
        Assert.Contains("label 1 is 12", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFiles_CountsDiffer_Throws()
    {
        using var folder = new TempFolder();
        string images = folder.File("images");
        string labels = folder.File("labels");
        File.WriteAllBytes(images, IdxTestData.Build([3, 28, 28], new byte[3 * 784]));
        File.WriteAllBytes(labels, IdxTestData.Build([2], [1, 2]));

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Mnist.LoadFiles(images, labels));

        Assert.Contains("holds 2 labels but", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFiles_Options_ShapeAndScale()
    {
        using var folder = new TempFolder();
        string images = folder.File("images.gz");
        string labels = folder.File("labels");
        byte[] pixels = IdxTestData.RandomBytes(5 * 784, 9);
        pixels[0] = 255;
        File.WriteAllBytes(images, IdxTestData.Gzip(IdxTestData.Build([5, 28, 28], pixels)));
        File.WriteAllBytes(labels, IdxTestData.Build([5], [9, 8, 7, 6, 5]));

        LabeledDataset flat = Mnist.LoadFiles(images, labels);
        LabeledDataset image = Mnist.LoadFiles(images, labels, new MnistOptions { Flatten = false, ScaleToUnitRange = false, TrainCount = 2 });

        Assert.Equal(new TensorShape(5, 784), flat.Features.Shape);
        Assert.Equal(1f, flat.Features[0, 0]);
        Assert.Equal(pixels[1] / 255f, flat.Features[0, 1], 6);
        Assert.Equal(new TensorShape(2, 28, 28, 1), image.Features.Shape);
        Assert.Equal(pixels[29], image.Features[0, 1, 1, 0]);
        Assert.Equal([9, 8], image.LabelsToArray());
    }

    [Fact]
    public async Task LoadAsync_CountOutOfRange_ThrowsBeforeFetching()
    {
        var options = new MnistOptions { TrainCount = 60_001, Sources = [FakeSource.Never("network")] };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Mnist.LoadAsync(options));
    }
}
