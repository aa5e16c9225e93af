using System.Collections.ObjectModel;
using System.Globalization;

namespace NeuralNet.Data;

/// <summary>
/// The files of a folder and their classes, listed, ordered, shuffled and split as Keras' <c>index_directory</c> and
/// <c>get_training_or_validation_split</c> do, for <see cref="ImageFolder"/>, <see cref="TextFolder"/> and <see cref="AudioFolder"/> alike.
/// </summary>
internal sealed class FolderIndex
{
    private FolderIndex(FolderKind kind, string[] paths, int[]? labels, ReadOnlyCollection<string> classNames)
    {
        Kind = kind;
        Paths = paths;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>What the folder holds (for messages).</summary>
    public FolderKind Kind { get; }

    /// <summary>The files, in reading order.</summary>
    public string[] Paths { get; }

    /// <summary>The class index (or the given label) of each file; null without labels.</summary>
    public int[]? Labels { get; }

    /// <summary>
    /// The class names in label order; empty without labels. Read-only because every batch and subset hands out this
    /// one list: a caller casting it to <see cref="IList{T}"/> cannot change another batch's names.
    /// </summary>
    public ReadOnlyCollection<string> ClassNames { get; }

    /// <summary>
    /// Lists the folder: the class sub-folders (or the whole tree when labels are given or not wanted), their files,
    /// shuffled with the seed.
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <param name="kind">The files to list.</param>
    /// <param name="mode">The label mode (checked by the caller).</param>
    /// <param name="classNames">The classes asked for, or null for every sub-folder.</param>
    /// <param name="labels">Labels given for the files in Keras' order (Keras' <c>labels</c> list), or null to infer them from the sub-folders.</param>
    /// <param name="followLinks">Whether links to folders are followed.</param>
    /// <param name="seed">The shuffle seed; null not to shuffle.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">A class name is not a sub-folder, the labels given do not match the files, or binary labels are asked of other than two classes.</exception>
    /// <exception cref="InvalidDataException">The folder has no class sub-folders, or no files.</exception>
    public static FolderIndex List(string directory, FolderKind kind, FolderLabelMode mode, IReadOnlyList<string>? classNames, IReadOnlyList<int>? labels, bool followLinks, uint? seed)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The {kind.Folder} '{directory}' does not exist.");
        }

        bool inferred = mode != FolderLabelMode.None && labels is null;
        string[] classes = inferred ? ClassFolders(directory, kind, classNames) : [];
        if (inferred)
        {
            CheckBinary(mode, classes, directory);
        }

        var paths = new List<string>();
        var classOfFile = new List<int>();
        string[] groups = inferred ? [.. classes.Select(c => Path.Combine(directory, c))] : [directory];
        for (int g = 0; g < groups.Length; g++)
        {
            List<string> files = FolderWalk.Files(groups[g], kind, followLinks);
            paths.AddRange(files);
            classOfFile.AddRange(Enumerable.Repeat(g, files.Count));
        }

        int[]? labelArray = inferred ? [.. classOfFile] : null;
        if (mode != FolderLabelMode.None && labels is not null)
        {
            if (labels.Count != paths.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Expected the lengths of Labels to match the number of files in the target directory. Labels has {labels.Count} while we found {paths.Count} {kind.Files} in '{directory}'."), "options");
            }

            labelArray = [.. labels];
            // Keras names the classes of given labels after their distinct values, sorted.
            classes = [.. labelArray.Distinct().Order().Select(l => l.ToString(CultureInfo.InvariantCulture))];
            CheckBinary(mode, classes, directory);
            if ((mode == FolderLabelMode.Categorical || mode == FolderLabelMode.Binary) && labelArray.Any(l => l >= classes.Length))
            {
                throw new ArgumentException($"With LabelMode {mode}, the given Labels must be 0 to {classes.Length - 1} (one per distinct label, {classes.Length} here); received the labels {string.Join(", ", classes)}.", "options");
            }
        }

        if (paths.Count == 0)
        {
            throw new InvalidDataException($"No {kind.Files} found in '{directory}'{(inferred ? $" (classes {string.Join(", ", classes)})" : "")}; expected files ending with {string.Join(", ", kind.Extensions)}.");
        }

        string[] pathArray = [.. paths];
        if (seed is uint value)
        {
            // Keras shuffles the paths and the labels with two RandomState(seed) of the same length: one permutation.
            new NumpyRandomState(value).Shuffle(pathArray.AsSpan());
            if (labelArray is not null)
            {
                new NumpyRandomState(value).Shuffle(labelArray.AsSpan());
            }
        }

        return new FolderIndex(kind, pathArray, labelArray, Array.AsReadOnly(classes));
    }

    /// <summary>
    /// The training or validation part: the validation part is the last floor(<paramref name="validationSplit"/> x count)
    /// files, as Keras' <c>get_training_or_validation_split</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">Either part would hold no file.</exception>
    public FolderIndex Subset(double validationSplit, FolderSubset subset, string directory)
    {
        int validation = (int)(validationSplit * Paths.Length);
        int training = Paths.Length - validation;
        if (validation == 0 || training == 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"A validation split of {validationSplit} of the {Paths.Length} {Kind.Files} in '{directory}' leaves {training} for training and {validation} for validation; expected at least one file in each subset."));
        }

        (int start, int count) = subset == FolderSubset.Training ? (0, training) : (training, validation);
        return new FolderIndex(Kind, Paths[start..(start + count)], Labels?[start..(start + count)], ClassNames);
    }

    /// <summary>The part <paramref name="subset"/> names (see <see cref="Subset"/>), or every file when it is null.</summary>
    /// <exception cref="InvalidDataException">Either part would hold no file.</exception>
    public FolderIndex Select(double validationSplit, FolderSubset? subset, string directory) =>
        subset is FolderSubset part ? Subset(validationSplit, part, directory) : this;

    /// <summary>
    /// The same files in the order of the <paramref name="enumeration"/>-th reshuffle (1 for the second pass over the
    /// files): a permutation drawn by a generator seeded from <paramref name="seed"/> and the enumeration, so the same
    /// seed gives the same sequence of orders.
    /// </summary>
    public FolderIndex Reshuffled(uint seed, int enumeration)
    {
        // Any fixed mix will do; this one (the golden-ratio constant) gives each enumeration a far-away MT19937 seed.
        uint mixed = unchecked(seed ^ ((uint)enumeration * 0x9E3779B9u));
        string[] paths = [.. Paths];
        new NumpyRandomState(mixed).Shuffle(paths.AsSpan());
        int[]? labels = null;
        if (Labels is not null)
        {
            labels = [.. Labels];
            new NumpyRandomState(mixed).Shuffle(labels.AsSpan());
        }

        return new FolderIndex(Kind, paths, labels, ClassNames);
    }

    private static void CheckBinary(FolderLabelMode mode, string[] classes, string directory)
    {
        if (mode == FolderLabelMode.Binary && classes.Length != 2)
        {
            throw new ArgumentException($"When LabelMode is Binary, there must be exactly 2 classes. Received: {classes.Length} ({string.Join(", ", classes)}) in '{directory}'.", "options");
        }
    }

    /// <summary>The class sub-folders: Keras' sorted <c>listdir</c> entries that are folders (links included) not starting with '.', or the names asked for.</summary>
    private static string[] ClassFolders(string directory, FolderKind kind, IReadOnlyList<string>? requested)
    {
        string[] folders = [.. new DirectoryInfo(directory).EnumerateDirectories("*", new EnumerationOptions { AttributesToSkip = 0, MatchType = MatchType.Win32 })
            .Select(d => d.Name)
            .Where(n => !n.StartsWith('.'))
            .Order(CodePointOrder.Instance)];
        if (requested is null)
        {
            return folders.Length > 0
                ? folders
                : throw new InvalidDataException($"The {kind.Folder} '{directory}' has no sub-folders; expected one sub-folder of {kind.Files} per class (or LabelMode None to read unlabelled {kind.Files}).");
        }

        string? missing = requested.FirstOrDefault(c => !folders.Contains(c, StringComparer.Ordinal));
        return missing is null
            ? [.. requested]
            : throw new ArgumentException($"Class '{missing}' of ClassNames is not a sub-folder of '{directory}'; expected names among: {string.Join(", ", folders)}.", "options");
    }
}
