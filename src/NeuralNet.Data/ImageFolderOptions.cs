namespace NeuralNet.Data;

/// <summary>
/// How <see cref="ImageFolder"/> reads a folder of images, with the names and defaults of Keras'
/// <c>image_dataset_from_directory</c> arguments.
/// </summary>
public sealed class ImageFolderOptions
{
    /// <summary>How labels are encoded (Keras' <c>label_mode</c>); <see cref="FolderLabelMode.Integer"/> by default.</summary>
    public FolderLabelMode LabelMode { get; init; } = FolderLabelMode.Integer;

    /// <summary>
    /// Labels given rather than inferred (Keras' <c>labels</c> list): one non-negative integer per image of the whole
    /// tree, in Keras' unshuffled order (the files sorted by folder path, then by name, as <c>os.walk</c>). The class names
    /// are then the distinct labels as text, sorted by value. With <see cref="FolderLabelMode.Categorical"/> or
    /// <see cref="FolderLabelMode.Binary"/> the labels must be 0 to (distinct labels - 1). Null by default: labels are
    /// inferred from the class sub-folders (Keras' <c>"inferred"</c>).
    /// </summary>
    public IReadOnlyList<int>? Labels { get; init; }

    /// <summary>
    /// The classes to read, in label order (Keras' <c>class_names</c>), when labels are inferred: each must be a sub-folder, other sub-folders are
    /// ignored. Null by default: every sub-folder not starting with '.', sorted by code point (as Python's <c>sorted</c>).
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The channels of the images (Keras' <c>color_mode</c>); <see cref="ImageColorMode.Rgb"/> by default.</summary>
    public ImageColorMode ColorMode { get; init; } = ImageColorMode.Rgb;

    /// <summary>The images per batch of <see cref="ImageFolder.EnumerateBatches"/> (Keras' <c>batch_size</c>); 32 by default.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The size every image is resized to, (height, width) (Keras' <c>image_size</c>); (256, 256) by default.</summary>
    public (int Height, int Width) ImageSize { get; init; } = (256, 256);

    /// <summary>
    /// Whether the files are shuffled (Keras' <c>shuffle</c>); true by default. False keeps them sorted: by class, then
    /// by path.
    /// </summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// The seed of the shuffle (Keras' <c>seed</c>), in [0, 2^32 - 1]: the files are shuffled with numpy's
    /// <c>RandomState(seed)</c> as Keras' <c>index_directory</c> does, so the same seed gives its file order. Null by default: a random seed, which
    /// is not allowed with a <see cref="ValidationSplit"/> (the two subsets would overlap).
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>
    /// The fraction of files kept for validation, in [0, 1) (Keras' <c>validation_split</c>); 0 by default (no split).
    /// The last floor(split x count) files of the shuffled order are the validation subset.
    /// </summary>
    public double ValidationSplit { get; init; }

    /// <summary>Which subset to read when <see cref="ValidationSplit"/> is set (Keras' <c>subset</c>); null by default.</summary>
    public FolderSubset? Subset { get; init; }

    /// <summary>How images are resized (Keras' <c>interpolation</c>); <see cref="ImageInterpolation.Bilinear"/> by default.</summary>
    public ImageInterpolation Interpolation { get; init; } = ImageInterpolation.Bilinear;

    /// <summary>
    /// Whether to resize without distorting the aspect ratio by cropping the largest centred window of the target's
    /// ratio first (Keras' <c>crop_to_aspect_ratio</c>, <c>smart_resize</c>); false by default.
    /// </summary>
    public bool CropToAspectRatio { get; init; }

    /// <summary>
    /// Whether links to folders (symbolic links, Windows junctions) met under a class folder are followed (Keras'
    /// <c>follow_links</c>); false by default, as Keras. A link leading back to a folder it lies in is not followed.
    /// </summary>
    public bool FollowLinks { get; init; }
}
