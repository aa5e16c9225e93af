using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>Checks <see cref="ImageFolderOptions"/> with Keras' rules, before the folder is read. Messages format numbers in the invariant culture.</summary>
internal static class ImageFolderOptionsCheck
{
    /// <summary>Validates the options and returns the shuffle seed to use (null when not shuffling).</summary>
    /// <param name="options">The options (null for the defaults).</param>
    /// <param name="bothSubsets">True for <c>LoadSplit</c> (Keras' subset "both"): a split is required and <see cref="ImageFolderOptions.Subset"/> must be unset.</param>
    public static (ImageFolderOptions Options, uint? Seed) Validate(ImageFolderOptions? options, bool bothSubsets)
    {
        options ??= new ImageFolderOptions();
        if (!Enum.IsDefined(options.LabelMode) || !Enum.IsDefined(options.ColorMode) || !Enum.IsDefined(options.Interpolation)
            || (options.Subset is ImageSubset subset && !Enum.IsDefined(subset)))
        {
            throw new ArgumentException(Invariant($"An enum option is out of range (LabelMode {(int)options.LabelMode}, ColorMode {(int)options.ColorMode}, Interpolation {(int)options.Interpolation}, Subset {(int?)options.Subset}); expected a defined value."), nameof(options));
        }

        (int height, int width) = options.ImageSize;
        if (height < 1 || width < 1 || (long)height * width * 4 > Array.MaxLength)
        {
            throw new ArgumentException(Invariant($"Invalid ImageSize ({height}, {width}); expected a (height, width) of positive integers."), nameof(options));
        }

        if (options.BatchSize < 1)
        {
            throw new ArgumentException(Invariant($"Invalid BatchSize {options.BatchSize}; expected a positive integer."), nameof(options));
        }

        double split = options.ValidationSplit;
        if (double.IsNaN(split) || split < 0 || split >= 1)
        {
            throw new ArgumentException(Invariant($"ValidationSplit must be between 0 and 1 (0 for no split). Received: {split}."), nameof(options));
        }

        if (bothSubsets)
        {
            if (split == 0 || options.Subset is not null)
            {
                throw new ArgumentException(Invariant($"LoadSplit returns both subsets: it needs a ValidationSplit in (0, 1) and no Subset. Received: ValidationSplit={split}, Subset={options.Subset?.ToString() ?? "null"}."), nameof(options));
            }
        }
        else if ((split > 0) != (options.Subset is not null))
        {
            throw new ArgumentException(Invariant($"If Subset is set, ValidationSplit must be set, and inversely. Received: ValidationSplit={split}, Subset={options.Subset?.ToString() ?? "null"}."), nameof(options));
        }

        if (options.Seed is long seed && (seed < 0 || seed > uint.MaxValue))
        {
            throw new ArgumentException(Invariant($"Seed must be in [0, {uint.MaxValue}] (numpy's RandomState seeds). Received: {seed}."), nameof(options));
        }

        if (split > 0 && options.Shuffle && options.Seed is null)
        {
            throw new ArgumentException("If using ValidationSplit and shuffling the data, you must provide a Seed, to make sure that there is no overlap between the training and validation subset.", nameof(options));
        }

        if (options.ClassNames is not null)
        {
            if (options.LabelMode == ImageLabelMode.None)
            {
                throw new ArgumentException("ClassNames cannot be given with LabelMode None (no labels: the folder's structure is ignored).", nameof(options));
            }

            if (options.ClassNames.Count == 0 || options.ClassNames.Any(string.IsNullOrEmpty) || options.ClassNames.Distinct(StringComparer.Ordinal).Count() != options.ClassNames.Count)
            {
                throw new ArgumentException(Invariant($"ClassNames must be distinct, non-empty names. Received: [{string.Join(", ", options.ClassNames)}]."), nameof(options));
            }
        }

        uint? shuffleSeed = options.Shuffle
            ? (uint)(options.Seed ?? Random.Shared.Next(1_000_000)) // Keras draws np.random.randint(1e6) when no seed is given.
            : null;
        return (options, shuffleSeed);
    }
}
