namespace NeuralNet.Data;

/// <summary>
/// Texts read from a folder (all of them or one subset), with their labels, the class names and the file each text
/// came from. <see cref="Texts"/> goes straight into <c>TextVectorization.Adapt</c> and <c>Transform</c>.
/// </summary>
public sealed class TextFolderData
{
    internal TextFolderData(string[] texts, Tensor? labels, IReadOnlyList<string> classNames, IReadOnlyList<string> filePaths)
    {
        Texts = texts;
        Labels = labels;
        ClassNames = classNames;
        FilePaths = filePaths;
    }

    /// <summary>The content of each file, decoded from UTF-8 and cut to <see cref="TextFolderOptions.MaxLength"/> bytes when set.</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <summary>
    /// The labels in the chosen <see cref="FolderLabelMode"/>: (n) class indices, (n, classes) one-hot rows or (n, 1)
    /// zeros and ones; null for <see cref="FolderLabelMode.None"/>.
    /// </summary>
    public Tensor? Labels { get; }

    /// <summary>
    /// The class names in label order (class i is <c>ClassNames[i]</c>); with <see cref="TextFolderOptions.Labels"/>, the
    /// distinct labels as text; empty for <see cref="FolderLabelMode.None"/>.
    /// </summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The file of each text, in the order of <see cref="Texts"/> (Keras' <c>file_paths</c>).</summary>
    public IReadOnlyList<string> FilePaths { get; }

    /// <summary>The number of texts.</summary>
    public int Count => Texts.Count;

    /// <summary>Splits into texts and labels: <c>var (texts, labels) = TextFolder.Load(folder, options);</c>.</summary>
    /// <param name="texts">Receives <see cref="Texts"/>.</param>
    /// <param name="labels">Receives <see cref="Labels"/>.</param>
    public void Deconstruct(out IReadOnlyList<string> texts, out Tensor? labels)
    {
        texts = Texts;
        labels = Labels;
    }
}
