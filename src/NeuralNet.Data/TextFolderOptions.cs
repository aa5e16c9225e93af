namespace NeuralNet.Data;

/// <summary>
/// How <see cref="TextFolder"/> reads a folder of text files, with the names and defaults of Keras'
/// <c>text_dataset_from_directory</c> arguments.
/// </summary>
/// <remarks>
/// Keras' <c>batch_size</c> has no counterpart: the texts are returned whole, to be vectorized (by
/// <c>TextVectorization.Transform</c>) and then batched by <c>Model.Fit</c>. Keras' <c>verbose</c> message is not printed.
/// </remarks>
public sealed class TextFolderOptions
{
    /// <summary>How labels are encoded (Keras' <c>label_mode</c>); <see cref="FolderLabelMode.Integer"/> by default.</summary>
    public FolderLabelMode LabelMode { get; init; } = FolderLabelMode.Integer;

    /// <summary>
    /// Labels given rather than inferred (Keras' <c>labels</c> list): one non-negative integer per text file of the whole
    /// tree, in Keras' unshuffled order (the files sorted by folder path, then by name, as <c>os.walk</c>). The class names
    /// are then the distinct labels as text, sorted by value. With <see cref="FolderLabelMode.Categorical"/> or
    /// <see cref="FolderLabelMode.Binary"/> the labels must be 0 to (distinct labels - 1). Null by default: labels are
    /// inferred from the class sub-folders (Keras' <c>"inferred"</c>).
    /// </summary>
    public IReadOnlyList<int>? Labels { get; init; }

    /// <summary>
    /// The classes to read, in label order (Keras' <c>class_names</c>), when labels are inferred: each must be a
    /// sub-folder, other sub-folders are ignored. Null by default: every sub-folder not starting with '.', sorted by
    /// code point.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// The longest text, in UTF-8 bytes (Keras' <c>max_length</c>, which cuts with <c>tf.strings.substr</c> in bytes;
    /// characters for ASCII text). A character the limit would cut in two is dropped whole (Keras keeps its first bytes,
    /// which are not valid UTF-8). Null by default: texts are read whole.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// Whether the files are shuffled (Keras' <c>shuffle</c>); true by default. False keeps them sorted: by class, then
    /// by path.
    /// </summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// The seed of the shuffle (Keras' <c>seed</c>), in [0, 2^32 - 1]: the files are shuffled with numpy's
    /// <c>RandomState(seed)</c> as Keras' <c>index_directory</c> does, so the same seed gives its file order (and the order
    /// <see cref="ImageFolder"/> gives the same file list). Null by default: a random seed, which is not allowed with a
    /// <see cref="ValidationSplit"/> (the two subsets would overlap).
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>
    /// The fraction of files kept for validation, in [0, 1) (Keras' <c>validation_split</c>); 0 by default (no split).
    /// The last floor(split x count) files of the shuffled order are the validation subset.
    /// </summary>
    public double ValidationSplit { get; init; }

    /// <summary>Which subset to read when <see cref="ValidationSplit"/> is set (Keras' <c>subset</c>); null by default.</summary>
    public FolderSubset? Subset { get; init; }

    /// <summary>
    /// Whether links to folders (symbolic links, Windows junctions) met under a class folder are followed (Keras'
    /// <c>follow_links</c>); false by default, as Keras. A link leading back to a folder it lies in is not followed.
    /// </summary>
    public bool FollowLinks { get; init; }
}
