namespace NeuralNet.Data;

/// <summary>
/// Audio read from a folder (all of it, one subset, or one batch), with the labels, the class names, the file each clip
/// came from and its sampling rate.
/// </summary>
public sealed class AudioFolderData
{
    internal AudioFolderData(Tensor? audio, IReadOnlyList<Tensor> clips, Tensor? labels, IReadOnlyList<string> classNames, IReadOnlyList<string> filePaths, IReadOnlyList<int> samplingRates)
    {
        Audio = audio;
        Clips = clips;
        Labels = labels;
        ClassNames = classNames;
        FilePaths = filePaths;
        SamplingRates = samplingRates;
    }

    /// <summary>
    /// The clips as one tensor (<see cref="Count"/>, frames, channels), Keras' layout: samples / 32768 in [-1, 1), each
    /// clip cropped or zero-padded to <see cref="AudioFolderOptions.OutputSequenceLength"/>, or to the longest clip (and
    /// the most channels) when that is null. Null with <see cref="AudioFolderOptions.Ragged"/>.
    /// </summary>
    public Tensor? Audio { get; }

    /// <summary>
    /// Each clip as a (frames, channels) tensor, in the order of <see cref="FilePaths"/>: views of the rows of
    /// <see cref="Audio"/>, or with <see cref="AudioFolderOptions.Ragged"/> each clip at its own length (Keras' ragged
    /// tensor; a file without samples gives (0, channels)).
    /// </summary>
    public IReadOnlyList<Tensor> Clips { get; }

    /// <summary>
    /// The labels in the chosen <see cref="FolderLabelMode"/>: (n) class indices, (n, classes) one-hot rows or (n, 1)
    /// zeros and ones; null for <see cref="FolderLabelMode.None"/>.
    /// </summary>
    public Tensor? Labels { get; }

    /// <summary>
    /// The class names in label order (class i is <c>ClassNames[i]</c>); with <see cref="AudioFolderOptions.Labels"/>,
    /// the distinct labels as text; empty for <see cref="FolderLabelMode.None"/>.
    /// </summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// The file of each clip, in the order of <see cref="Clips"/>. Keras' audio dataset has no <c>file_paths</c> (its
    /// image and text datasets do); this is NeuralNet's, so a clip can be traced to its file.
    /// </summary>
    public IReadOnlyList<string> FilePaths { get; }

    /// <summary>The sampling rate each file's header declares, in frames per second (the second output of <c>tf.audio.decode_wav</c>, which Keras drops).</summary>
    public IReadOnlyList<int> SamplingRates { get; }

    /// <summary>The number of clips.</summary>
    public int Count => FilePaths.Count;

    /// <summary>Splits into audio and labels: <c>var (audio, labels) = AudioFolder.Load(folder, options);</c>.</summary>
    /// <param name="audio">Receives <see cref="Audio"/>.</param>
    /// <param name="labels">Receives <see cref="Labels"/>.</param>
    public void Deconstruct(out Tensor? audio, out Tensor? labels)
    {
        audio = Audio;
        labels = Labels;
    }
}
