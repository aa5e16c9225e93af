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
        if (!Enum.IsDefined(options.ColorMode) || !Enum.IsDefined(options.Interpolation))
        {
            throw new ArgumentException(Invariant($"An enum option is out of range (ColorMode {(int)options.ColorMode}, Interpolation {(int)options.Interpolation}); expected a defined value."), nameof(options));
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

        uint? shuffleSeed = FolderOptionsCheck.Validate(options.LabelMode, options.Labels, options.ClassNames, options.Shuffle, options.Seed, options.ValidationSplit, options.Subset, bothSubsets);
        return (options, shuffleSeed);
    }
}
