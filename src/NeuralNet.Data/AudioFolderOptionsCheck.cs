using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>Checks <see cref="AudioFolderOptions"/> with Keras' rules, before the folder is read. Messages format numbers in the invariant culture.</summary>
internal static class AudioFolderOptionsCheck
{
    /// <summary>Validates the options and returns the shuffle seed to use (null when not shuffling).</summary>
    /// <param name="options">The options (null for the defaults).</param>
    /// <param name="bothSubsets">True for <c>LoadSplit</c> (Keras' subset "both"): a split is required and <see cref="AudioFolderOptions.Subset"/> must be unset.</param>
    /// <exception cref="ArgumentException">An option breaks Keras' rules; the parameter named is <c>options</c>.</exception>
    public static (AudioFolderOptions Options, uint? Seed) Validate(AudioFolderOptions? options, bool bothSubsets)
    {
        options ??= new AudioFolderOptions();
        if (options.Ragged && options.OutputSequenceLength is not null)
        {
            throw new ArgumentException(Invariant($"Cannot set both Ragged and OutputSequenceLength (Keras' ragged and output_sequence_length). Received: Ragged=true, OutputSequenceLength={options.OutputSequenceLength}."), nameof(options));
        }

        if (options.OutputSequenceLength is <= 0)
        {
            throw new ArgumentException(Invariant($"OutputSequenceLength must be a positive number of frames, or null to pad to the longest clip. Received: {options.OutputSequenceLength}."), nameof(options));
        }

        if (options.SamplingRate is <= 0)
        {
            throw new ArgumentException(Invariant($"SamplingRate should be higher than 0 (frames per second), or null for any rate. Received: {options.SamplingRate}."), nameof(options));
        }

        if (options.BatchSize < 1)
        {
            throw new ArgumentException(Invariant($"Invalid BatchSize {options.BatchSize}; expected a positive integer."), nameof(options));
        }

        uint? seed = FolderOptionsCheck.Validate(options.LabelMode, options.Labels, options.ClassNames, options.Shuffle, options.Seed, options.ValidationSplit, options.Subset, bothSubsets);
        return (options, seed);
    }
}
