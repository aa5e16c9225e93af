namespace NeuralNet.Data;

/// <summary>
/// How <see cref="AudioFolder"/> reads a folder of WAV files, with the names and defaults of Keras'
/// <c>audio_dataset_from_directory</c> arguments.
/// </summary>
/// <remarks>Keras' <c>verbose</c> message is not printed.</remarks>
public sealed class AudioFolderOptions
{
    /// <summary>How labels are encoded (Keras' <c>label_mode</c>); <see cref="FolderLabelMode.Integer"/> by default.</summary>
    public FolderLabelMode LabelMode { get; init; } = FolderLabelMode.Integer;

    /// <summary>
    /// Labels given rather than inferred (Keras' <c>labels</c> list): one non-negative integer per WAV file of the whole
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

    /// <summary>The clips per batch of <see cref="AudioFolder.EnumerateBatches"/> (Keras' <c>batch_size</c>); 32 by default.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// The sampling rate every file must have, in frames per second (Keras' <c>sampling_rate</c>); null by default (any
    /// rate, as Keras). Keras resamples a file of another rate with tensorflow-io's <c>tfio.audio.resample</c>; NeuralNet
    /// does not resample: such a file is refused, naming its rate, rather than read with numbers Keras would not give.
    /// </summary>
    public int? SamplingRate { get; init; }

    /// <summary>
    /// The length every clip is cropped to, or padded to with zeros at the end, in frames (Keras'
    /// <c>output_sequence_length</c>, TensorFlow's <c>desired_samples</c>). Null by default: clips are padded with zeros
    /// to the longest of the data set (<see cref="AudioFolder.Load"/>) or of the batch
    /// (<see cref="AudioFolder.EnumerateBatches"/>), as Keras' <c>padded_batch</c>, unless <see cref="Ragged"/>.
    /// </summary>
    public int? OutputSequenceLength { get; init; }

    /// <summary>
    /// Whether each clip keeps its own length (Keras' <c>ragged</c>): the clips are then only in
    /// <see cref="AudioFolderData.Clips"/>, one tensor each, and <see cref="AudioFolderData.Audio"/> is null. False by
    /// default. Cannot be combined with <see cref="OutputSequenceLength"/>, as in Keras.
    /// </summary>
    public bool Ragged { get; init; }

    /// <summary>
    /// Whether the files are shuffled (Keras' <c>shuffle</c>); true by default. False keeps them sorted: by class, then
    /// by path.
    /// </summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// The seed of the shuffle (Keras' <c>seed</c>), in [0, 2^32 - 1]: the files are shuffled with numpy's
    /// <c>RandomState(seed)</c> as Keras' <c>index_directory</c> does, so the same seed gives its file order (and the order
    /// <see cref="ImageFolder"/> and <see cref="TextFolder"/> give the same file list). Null by default: a random seed,
    /// which is not allowed with a <see cref="ValidationSplit"/> (the two subsets would overlap).
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
