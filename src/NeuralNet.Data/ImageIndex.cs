using System.Globalization;

namespace NeuralNet.Data;

/// <summary>
/// The files of an image folder and their classes, listed, ordered, shuffled and split as Keras' <c>index_directory</c>
/// and <c>get_training_or_validation_split</c> do.
/// </summary>
internal sealed class ImageIndex
{
    /// <summary>The file extensions read (Keras' <c>ALLOWLIST_FORMATS</c>), compared case-insensitively.</summary>
    public static readonly IReadOnlyList<string> Formats = [".bmp", ".gif", ".jpeg", ".jpg", ".png"];

    private ImageIndex(string[] paths, int[]? labels, string[] classNames)
    {
        Paths = paths;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>The image files, in reading order.</summary>
    public string[] Paths { get; }

    /// <summary>The class index of each file; null without labels.</summary>
    public int[]? Labels { get; }

    /// <summary>The class names in label order; empty without labels.</summary>
    public string[] ClassNames { get; }

    /// <summary>Lists the folder: the class sub-folders (or the whole tree without labels), their images, shuffled with the seed.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">A class name is not a sub-folder, or binary labels are asked of other than two classes.</exception>
    /// <exception cref="InvalidDataException">The folder has no class sub-folders, or no images.</exception>
    public static ImageIndex List(string directory, ImageFolderOptions options, uint? seed)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The image folder '{directory}' does not exist.");
        }

        bool labelled = options.LabelMode != ImageLabelMode.None;
        string[] classNames = labelled ? ClassFolders(directory, options.ClassNames) : [];
        if (options.LabelMode == ImageLabelMode.Binary && classNames.Length != 2)
        {
            throw new ArgumentException($"When LabelMode is Binary, there must be exactly 2 classes. Received: {classNames.Length} ({string.Join(", ", classNames)}) in '{directory}'.", nameof(options));
        }

        var paths = new List<string>();
        var labels = new List<int>();
        string[] groups = labelled ? [.. classNames.Select(c => Path.Combine(directory, c))] : [directory];
        for (int g = 0; g < groups.Length; g++)
        {
            foreach (string file in ImageFiles(groups[g]))
            {
                paths.Add(file);
                labels.Add(g);
            }
        }

        if (paths.Count == 0)
        {
            throw new InvalidDataException($"No images found in '{directory}'{(labelled ? $" (classes {string.Join(", ", classNames)})" : "")}; expected files ending with {string.Join(", ", Formats)}.");
        }

        string[] pathArray = [.. paths];
        int[] labelArray = [.. labels];
        if (seed is uint value)
        {
            // Keras shuffles the paths and the labels with two RandomState(seed) of the same length: one permutation.
            new NumpyRandomState(value).Shuffle(pathArray.AsSpan());
            new NumpyRandomState(value).Shuffle(labelArray.AsSpan());
        }

        return new ImageIndex(pathArray, labelled ? labelArray : null, classNames);
    }

    /// <summary>
    /// The training or validation part: the validation part is the last floor(<paramref name="validationSplit"/> x count)
    /// files, as Keras' <c>get_training_or_validation_split</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">Either part would hold no image.</exception>
    public ImageIndex Subset(double validationSplit, ImageSubset subset, string directory)
    {
        int validation = (int)(validationSplit * Paths.Length);
        int training = Paths.Length - validation;
        if (validation == 0 || training == 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"A validation split of {validationSplit} of the {Paths.Length} images in '{directory}' leaves {training} for training and {validation} for validation; expected at least one image in each subset."));
        }

        (int start, int count) = subset == ImageSubset.Training ? (0, training) : (training, validation);
        return new ImageIndex(Paths[start..(start + count)], Labels?[start..(start + count)], ClassNames);
    }

    /// <summary>
    /// The same files in the order of the <paramref name="enumeration"/>-th reshuffle (1 for the second pass over the
    /// files): a permutation drawn by a generator seeded from <paramref name="seed"/> and the enumeration, so the same
    /// seed gives the same sequence of orders.
    /// </summary>
    public ImageIndex Reshuffled(uint seed, int enumeration)
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

        return new ImageIndex(paths, labels, ClassNames);
    }

    private static string[] ClassFolders(string directory, IReadOnlyList<string>? requested)
    {
        string[] folders = [.. new DirectoryInfo(directory).EnumerateDirectories("*", new EnumerationOptions { AttributesToSkip = 0, MatchType = MatchType.Win32 })
            .Select(d => d.Name)
            .Where(n => !n.StartsWith('.'))
            .Order(StringComparer.Ordinal)];
        if (requested is null)
        {
            return folders.Length > 0
                ? folders
                : throw new InvalidDataException($"The image folder '{directory}' has no sub-folders; expected one sub-folder of images per class (or LabelMode None to read unlabelled images).");
        }

        string? missing = requested.FirstOrDefault(c => !folders.Contains(c, StringComparer.Ordinal));
        return missing is null
            ? [.. requested]
            : throw new ArgumentException($"Class '{missing}' of ClassNames is not a sub-folder of '{directory}'; expected names among: {string.Join(", ", folders)}.", "options");
    }

    /// <summary>
    /// The images under <paramref name="folder"/> and its sub-folders, ordered as Keras' <c>os.walk</c> sorted by folder,
    /// then by name. Links to folders (symbolic links, and junctions on Windows: whatever has a link target) are not
    /// followed, as <c>os.walk(followlinks=False)</c>; other reparse points, such as cloud-file placeholders, are
    /// ordinary folders.
    /// </summary>
    private static IEnumerable<string> ImageFiles(string folder)
    {
        var options = new EnumerationOptions { AttributesToSkip = 0, MatchType = MatchType.Win32 };
        var folders = new List<string> { folder };
        var pending = new Stack<string>([folder]);
        while (pending.TryPop(out string? parent))
        {
            foreach (string child in Directory.EnumerateDirectories(parent, "*", options))
            {
                if (new DirectoryInfo(child).LinkTarget is null)
                {
                    folders.Add(child);
                    pending.Push(child);
                }
            }
        }

        folders.Sort(StringComparer.Ordinal);
        foreach (string root in folders)
        {
            string[] names = [.. Directory.EnumerateFiles(root, "*", new EnumerationOptions { AttributesToSkip = 0, MatchType = MatchType.Win32 })
                .Select(Path.GetFileName)
                .Where(n => Formats.Any(f => n!.ToLowerInvariant().EndsWith(f, StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal)!];
            foreach (string name in names)
            {
                yield return Path.Combine(root, name);
            }
        }
    }
}
