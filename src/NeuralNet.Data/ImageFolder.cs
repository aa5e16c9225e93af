namespace NeuralNet.Data;

/// <summary>
/// Reads a folder of images with one sub-folder per class into tensors, as Keras' <c>image_dataset_from_directory</c>
/// does: the same file order for a seed, the same training / validation split, pixels resized with TensorFlow's
/// arithmetic to floats in [0, 255], channels last.
/// </summary>
/// <remarks>
/// <para>
/// The folder looks like <c>main/cat/1.png, main/cat/2.jpg, main/dog/a.png</c>: classes are the sub-folders (sorted
/// by code point as Python sorts, or <see cref="ImageFolderOptions.ClassNames"/>), images are the .bmp, .gif, .jpeg, .jpg and .png files under
/// each class folder, at any depth. Images are decoded by SkiaSharp (the first frame of an animated GIF).
/// </para>
/// <para>
/// Keras shuffles twice: the file list once with the seed (reproduced here, numpy's generator included), and the
/// <c>tf.data</c> pipeline again on every epoch. <see cref="EnumerateBatches"/> reshuffles too: each enumeration after
/// the first reads the files in a new order drawn from the seed and the enumeration's number (Keras' own epoch orders,
/// drawn by TensorFlow's generator through a buffer of 8 batches, are not reproduced). <c>Model.Fit</c> does not
/// reshuffle a stream of batches; it keeps the order the stream gives.
/// </para>
/// </remarks>
public static class ImageFolder
{
    /// <summary>Reads every image of the folder (or of the subset chosen by <see cref="ImageFolderOptions.Subset"/>) into one tensor.</summary>
    /// <param name="directory">The folder, holding one sub-folder of images per class.</param>
    /// <param name="options">Size, colour mode, labels, shuffle and split; null for Keras' defaults (256 x 256 RGB, integer labels, shuffled with a random seed).</param>
    /// <param name="cancellationToken">Stops the read between images.</param>
    /// <returns>The images (n, height, width, channels), their labels, the class names and the file paths.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException">The options break Keras' rules (for example a split without a seed), or a class name is not a sub-folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The folder has no class sub-folders or no images, the split leaves a subset empty, an image cannot be decoded (the
    /// message names its path), or the images do not fit in one tensor (use <see cref="EnumerateBatches"/>).
    /// </exception>
    /// <exception cref="IOException">An image file cannot be read, for example because it was deleted after the folder was listed (<see cref="FileNotFoundException"/>); the message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">An image file may not be read; the message names it.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ImageFolderData Load(string directory, ImageFolderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        (ImageFolderOptions checkedOptions, uint? seed) = ImageFolderOptionsCheck.Validate(options, bothSubsets: false);
        FolderIndex index = FolderIndex.List(directory, FolderKind.Images, checkedOptions.LabelMode, checkedOptions.ClassNames, checkedOptions.Labels, checkedOptions.FollowLinks, seed)
            .Select(checkedOptions.ValidationSplit, checkedOptions.Subset, directory);
        return Read(index, 0, index.Paths.Length, checkedOptions, cancellationToken);
    }

    /// <summary>
    /// Reads both subsets of a split folder (Keras' <c>subset="both"</c>): the training images are the first
    /// 1 - <see cref="ImageFolderOptions.ValidationSplit"/> of the shuffled files, the validation images the rest.
    /// </summary>
    /// <param name="directory">The folder, holding one sub-folder of images per class.</param>
    /// <param name="options">The options, with a <see cref="ImageFolderOptions.ValidationSplit"/>, a <see cref="ImageFolderOptions.Seed"/> when shuffling, and no <see cref="ImageFolderOptions.Subset"/>.</param>
    /// <param name="cancellationToken">Stops the read between images.</param>
    /// <returns>The training and the validation images, disjoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options break Keras' rules, or a class name is not a sub-folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">As for <see cref="Load"/>.</exception>
    /// <exception cref="IOException">As for <see cref="Load"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">As for <see cref="Load"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static (ImageFolderData Training, ImageFolderData Validation) LoadSplit(string directory, ImageFolderOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        (ImageFolderOptions checkedOptions, uint? seed) = ImageFolderOptionsCheck.Validate(options, bothSubsets: true);
        FolderIndex all = FolderIndex.List(directory, FolderKind.Images, checkedOptions.LabelMode, checkedOptions.ClassNames, checkedOptions.Labels, checkedOptions.FollowLinks, seed);
        FolderIndex training = all.Subset(checkedOptions.ValidationSplit, FolderSubset.Training, directory);
        FolderIndex validation = all.Subset(checkedOptions.ValidationSplit, FolderSubset.Validation, directory);
        return (Read(training, 0, training.Paths.Length, checkedOptions, cancellationToken),
            Read(validation, 0, validation.Paths.Length, checkedOptions, cancellationToken));
    }

    /// <summary>
    /// Lists the folder now and reads it lazily, <see cref="ImageFolderOptions.BatchSize"/> images at a time (the last
    /// batch may be smaller), so a folder larger than memory can be trained on batch by batch.
    /// </summary>
    /// <remarks>
    /// With <see cref="ImageFolderOptions.Shuffle"/> on, the sequence is reshuffled each time it is enumerated, as Keras'
    /// dataset is every epoch: the first enumeration reads the files in the order of <see cref="Load"/> (Keras'
    /// <c>index_directory</c> permutation, before the 8 x <c>batch_size</c> shuffle buffer Keras' dataset applies to every
    /// epoch, the first included, which is not reproduced), each
    /// later one in a new permutation drawn from the seed and the enumeration's number, so the same
    /// <see cref="ImageFolderOptions.Seed"/> gives the same sequence of epochs. Call this method once and enumerate the
    /// result every epoch: a new call starts again from the first order. Without shuffling every enumeration reads the
    /// files in sorted order.
    /// </remarks>
    /// <param name="directory">The folder, holding one sub-folder of images per class.</param>
    /// <param name="options">As for <see cref="Load"/>.</param>
    /// <param name="cancellationToken">Stops the read between images.</param>
    /// <returns>The batches, each with new tensors; enumerating again reshuffles when shuffling.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException">The options break Keras' rules, or a class name is not a sub-folder (thrown at once).</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist (thrown at once).</exception>
    /// <exception cref="InvalidDataException">
    /// The folder has no images or the split leaves a subset empty (thrown at once); an image cannot be decoded (thrown
    /// when its batch is read).
    /// </exception>
    /// <exception cref="IOException">An image file cannot be read, for example because it was deleted after the folder was listed (thrown when its batch is read; the message names it).</exception>
    /// <exception cref="UnauthorizedAccessException">An image file may not be read (thrown when its batch is read; the message names it).</exception>
    public static IEnumerable<ImageFolderData> EnumerateBatches(string directory, ImageFolderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        (ImageFolderOptions checkedOptions, uint? seed) = ImageFolderOptionsCheck.Validate(options, bothSubsets: false);
        FolderIndex index = FolderIndex.List(directory, FolderKind.Images, checkedOptions.LabelMode, checkedOptions.ClassNames, checkedOptions.Labels, checkedOptions.FollowLinks, seed)
            .Select(checkedOptions.ValidationSplit, checkedOptions.Subset, directory);
        return new FolderBatches<ImageFolderData>(index, checkedOptions.BatchSize, seed, (order, first, count) => Read(order, first, count, checkedOptions, cancellationToken));
    }

    /// <summary>Decodes and resizes files [start, start + count) of the index into new tensors.</summary>
    private static ImageFolderData Read(FolderIndex index, int start, int count, ImageFolderOptions options, CancellationToken cancellationToken)
    {
        (int height, int width) = options.ImageSize;
        int channels = options.ColorMode switch { ImageColorMode.Grayscale => 1, ImageColorMode.Rgba => 4, _ => 3 };
        int imageLength = height * width * channels;
        if ((long)count * imageLength > Array.MaxLength)
        {
            throw new InvalidDataException($"{count} images of {height} x {width} x {channels} do not fit in one tensor; read them with ImageFolder.EnumerateBatches.");
        }

        var images = new Tensor(count, height, width, channels);
        Span<float> pixels = images.AsSpan();
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string path = index.Paths[start + i];
            (byte[] source, int sourceHeight, int sourceWidth) = ImageDecoding.Decode(path, options.ColorMode);
            (int top, int left, int windowHeight, int windowWidth) = options.CropToAspectRatio
                ? ImageResize.CropWindow(sourceHeight, sourceWidth, height, width)
                : (0, 0, sourceHeight, sourceWidth);
            ImageResize.Resize(source, sourceWidth, channels, top, left, windowHeight, windowWidth,
                pixels.Slice(i * imageLength, imageLength), height, width, options.Interpolation);
        }

        int[]? classes = index.Labels?[start..(start + count)];
        return new ImageFolderData(images, FolderLabels.ToTensor(classes, index.ClassNames.Count, options.LabelMode), classes, index.ClassNames, index.Paths[start..(start + count)]);
    }
}
