using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>
/// Reads a folder of text files with one sub-folder per class into texts and labels, as Keras'
/// <c>text_dataset_from_directory</c> does: the same files, the same order for a seed, the same training / validation
/// split. The texts go into <c>TextVectorization</c> (<c>Adapt</c>, then <c>Transform</c>) and the labels into
/// <c>Model.Fit</c>.
/// </summary>
/// <remarks>
/// <para>
/// The folder looks like <c>reviews/neg/1.txt, reviews/neg/2.txt, reviews/pos/a.txt</c>: classes are the sub-folders
/// (sorted by code point, or <see cref="TextFolderOptions.ClassNames"/>), texts are the <c>.txt</c> files (any case)
/// under each class folder, at any depth, listed, ordered, shuffled and split by the same code as
/// <see cref="ImageFolder"/>'s, so a file list gives both loaders the same order and the same split.
/// </para>
/// <para>
/// Files are decoded from UTF-8 (Keras reads their bytes, which its <c>TextVectorization</c> treats as UTF-8); a file
/// that is not valid UTF-8 is refused naming it. Keras' <c>tf.data</c> pipeline also reshuffles on every epoch;
/// <c>Model.Fit</c> does that itself with its <c>shuffle</c> argument once the texts are vectorized.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var (train, validation) = TextFolder.LoadSplit("aclImdb/train", new TextFolderOptions { ValidationSplit = 0.2, Seed = 1337 });
/// var vectorizer = new TextVectorization(maxTokens: 20000, outputSequenceLength: 200);
/// vectorizer.Adapt(train.Texts);
/// model.Fit(vectorizer.Transform(train.Texts), train.Labels!, epochs: 3,
///     validationData: (vectorizer.Transform(validation.Texts), validation.Labels!));
/// </code>
/// </example>
public static class TextFolder
{
    /// <summary>Reads every text file of the folder (or of the subset chosen by <see cref="TextFolderOptions.Subset"/>).</summary>
    /// <param name="directory">The folder, holding one sub-folder of text files per class (or any tree with <see cref="FolderLabelMode.None"/> or <see cref="TextFolderOptions.Labels"/>).</param>
    /// <param name="options">Labels, length, shuffle and split; null for Keras' defaults (integer labels inferred from the sub-folders, whole texts, shuffled with a random seed).</param>
    /// <param name="cancellationToken">Stops the read between files.</param>
    /// <returns>The texts, their labels, the class names and the file paths.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The options break Keras' rules (for example a split without a seed, or class names with given labels), a class name
    /// is not a sub-folder, the given labels do not match the files, or binary labels are asked of other than two classes.
    /// </exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder has no class sub-folders or no text files, the split leaves a subset empty, or a file is not valid UTF-8 (the message names it).</exception>
    /// <exception cref="IOException">A file cannot be read, for example because it was deleted after the folder was listed (<see cref="FileNotFoundException"/>); the message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">A file may not be read; the message names it.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static TextFolderData Load(string directory, TextFolderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        (TextFolderOptions checkedOptions, uint? seed) = Validate(options, bothSubsets: false);
        FolderIndex index = List(directory, checkedOptions, seed).Select(checkedOptions.ValidationSplit, checkedOptions.Subset, directory);

        return Read(index, checkedOptions, cancellationToken);
    }

    /// <summary>
    /// Reads both subsets of a split folder (Keras' <c>subset="both"</c>): the training texts are the first
    /// 1 - <see cref="TextFolderOptions.ValidationSplit"/> of the shuffled files, the validation texts the rest.
    /// </summary>
    /// <param name="directory">The folder, holding one sub-folder of text files per class.</param>
    /// <param name="options">The options, with a <see cref="TextFolderOptions.ValidationSplit"/>, a <see cref="TextFolderOptions.Seed"/> when shuffling, and no <see cref="TextFolderOptions.Subset"/>.</param>
    /// <param name="cancellationToken">Stops the read between files.</param>
    /// <returns>The training and the validation texts, disjoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="Load"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">As for <see cref="Load"/>.</exception>
    /// <exception cref="IOException">As for <see cref="Load"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">As for <see cref="Load"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static (TextFolderData Training, TextFolderData Validation) LoadSplit(string directory, TextFolderOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        (TextFolderOptions checkedOptions, uint? seed) = Validate(options, bothSubsets: true);
        FolderIndex all = List(directory, checkedOptions, seed);
        FolderIndex training = all.Subset(checkedOptions.ValidationSplit, FolderSubset.Training, directory);
        FolderIndex validation = all.Subset(checkedOptions.ValidationSplit, FolderSubset.Validation, directory);
        return (Read(training, checkedOptions, cancellationToken), Read(validation, checkedOptions, cancellationToken));
    }

    /// <summary>Checks the options with Keras' rules before the folder is read, and returns the shuffle seed (null when not shuffling).</summary>
    private static (TextFolderOptions Options, uint? Seed) Validate(TextFolderOptions? options, bool bothSubsets)
    {
        options ??= new TextFolderOptions();
        if (options.MaxLength is <= 0)
        {
            throw new ArgumentException(Invariant($"MaxLength must be a positive number of bytes, or null to read whole texts. Received: {options.MaxLength}."), nameof(options));
        }

        uint? seed = FolderOptionsCheck.Validate(options.LabelMode, options.Labels, options.ClassNames, options.Shuffle, options.Seed, options.ValidationSplit, options.Subset, bothSubsets);
        return (options, seed);
    }

    private static FolderIndex List(string directory, TextFolderOptions options, uint? seed) =>
        FolderIndex.List(directory, FolderKind.Texts, options.LabelMode, options.ClassNames, options.Labels, options.FollowLinks, seed);

    /// <summary>Reads the files of the index.</summary>
    private static TextFolderData Read(FolderIndex index, TextFolderOptions options, CancellationToken cancellationToken)
    {
        string[] texts = new string[index.Paths.Length];
        for (int i = 0; i < texts.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            texts[i] = TextFileReading.Read(index.Paths[i], options.MaxLength);
        }

        return new TextFolderData(texts, FolderLabels.ToTensor(index.Labels, index.ClassNames.Count, options.LabelMode), index.ClassNames, index.Paths);
    }
}
