using NeuralNet.Datasets;

namespace NeuralNet.Data;

/// <summary>
/// Images read from a folder (all of them, one subset, or one batch) as tensors, with their labels, the class names and
/// the file each image came from.
/// </summary>
public sealed class ImageFolderData
{
    private readonly int[]? _classIndices;

    internal ImageFolderData(Tensor images, Tensor? labels, int[]? classIndices, IReadOnlyList<string> classNames, IReadOnlyList<string> filePaths)
    {
        Images = images;
        Labels = labels;
        _classIndices = classIndices;
        ClassNames = classNames;
        FilePaths = filePaths;
    }

    /// <summary>The images, shape (<see cref="Count"/>, height, width, channels), pixel values as floats in [0, 255].</summary>
    public Tensor Images { get; }

    /// <summary>
    /// The labels in the chosen <see cref="FolderLabelMode"/>: (n) class indices, (n, classes) one-hot rows or (n, 1)
    /// zeros and ones; null for <see cref="FolderLabelMode.None"/>.
    /// </summary>
    public Tensor? Labels { get; }

    /// <summary>
    /// The class names in label order (class i is <c>ClassNames[i]</c>); with <see cref="ImageFolderOptions.Labels"/>,
    /// the distinct labels as text; empty for <see cref="FolderLabelMode.None"/>.
    /// </summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The file of each image, in the order of <see cref="Images"/> (Keras' <c>file_paths</c>).</summary>
    public IReadOnlyList<string> FilePaths { get; }

    /// <summary>The number of images.</summary>
    public int Count => FilePaths.Count;

    /// <summary>
    /// The images and their class indices as a <see cref="LabeledDataset"/> (sharing the images' storage); with
    /// <see cref="ImageFolderOptions.Labels"/> given, the class count is the larger of the distinct labels and the
    /// largest label + 1.
    /// </summary>
    /// <exception cref="InvalidOperationException">The images were read without labels (<see cref="FolderLabelMode.None"/>).</exception>
    public LabeledDataset ToLabeledDataset() =>
        _classIndices is null
            ? throw new InvalidOperationException("These images were read with LabelMode None and have no classes; read them with another label mode to make a LabeledDataset.")
            : new LabeledDataset(Images, (int[])_classIndices.Clone(), Math.Max(ClassNames.Count, _classIndices.Length == 0 ? 0 : _classIndices.Max() + 1));

    /// <summary>Splits into images and labels: <c>var (x, y) = ImageFolder.Load(folder, options);</c>.</summary>
    /// <param name="images">Receives <see cref="Images"/>.</param>
    /// <param name="labels">Receives <see cref="Labels"/>.</param>
    public void Deconstruct(out Tensor images, out Tensor? labels)
    {
        images = Images;
        labels = Labels;
    }
}
