using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>
/// Reads a folder of WAV files with one sub-folder per class into tensors, as Keras'
/// <c>audio_dataset_from_directory</c> does: the same shuffled file list for a seed (Keras' <c>index_directory</c>), the
/// same training / validation split, the samples decoded as <c>tf.audio.decode_wav</c> decodes them, (clips, frames,
/// channels) floats in [-1, 1). Keras' dataset then reshuffles the training files through a buffer of
/// 8 x <c>batch_size</c> files every epoch, the first included; that order is not reproduced.
/// </summary>
/// <remarks>
/// <para>
/// The folder looks like <c>speech/no/1.wav, speech/no/2.wav, speech/yes/a.wav</c>: classes are the sub-folders (sorted
/// by code point, or <see cref="AudioFolderOptions.ClassNames"/>), clips are the <c>.wav</c> files (any case) under each
/// class folder, at any depth, listed, ordered, shuffled and split by the same code as <see cref="ImageFolder"/>'s and
/// <see cref="TextFolder"/>'s, so a file list gives the three loaders the same order and the same split.
/// </para>
/// <para>
/// Files must be 16-bit PCM WAV, the only kind <c>tf.audio.decode_wav</c> reads; every sample is its 16-bit value /
/// 32768. Clips are cropped or zero-padded to <see cref="AudioFolderOptions.OutputSequenceLength"/>, or padded to the
/// longest clip, or kept whole with <see cref="AudioFolderOptions.Ragged"/>. The result goes straight into the audio
/// layers: <c>StftSpectrogram</c> takes (batch, frames, channels).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var (train, validation) = AudioFolder.LoadSplit("speech", new AudioFolderOptions { ValidationSplit = 0.2, Seed = 0, OutputSequenceLength = 16000 });
/// var model = new Sequential([new InputLayer(16000, 1), new StftSpectrogram(frameLength: 256, frameStep: 128) { Trainable = false },
///     new GlobalAveragePooling1D(), new Dense(train.ClassNames.Count, ActivationFunction.Softmax)]);
/// model.Compile(new Adam(), new SparseCategoricalCrossEntropy(), new Accuracy());
/// model.Fit(train.Audio!, train.Labels!, epochs: 10, validationData: (validation.Audio!, validation.Labels!));
/// </code>
/// </example>
public static class AudioFolder
{
    /// <summary>Reads every WAV file of the folder (or of the subset chosen by <see cref="AudioFolderOptions.Subset"/>).</summary>
    /// <param name="directory">The folder, holding one sub-folder of WAV files per class (or any tree with <see cref="FolderLabelMode.None"/> or <see cref="AudioFolderOptions.Labels"/>).</param>
    /// <param name="options">Labels, length, shuffle and split; null for Keras' defaults (integer labels inferred from the sub-folders, clips padded to the longest, shuffled with a random seed).</param>
    /// <param name="cancellationToken">Stops the read between files.</param>
    /// <returns>The clips, their labels, the class names, the file paths and their sampling rates.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The options break Keras' rules (for example a split without a seed, or <see cref="AudioFolderOptions.Ragged"/> with
    /// <see cref="AudioFolderOptions.OutputSequenceLength"/>), a class name is not a sub-folder, the given labels do not
    /// match the files, or binary labels are asked of other than two classes.
    /// </exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The folder has no class sub-folders or no WAV files, the split leaves a subset empty, a file is not a 16-bit PCM
    /// WAV or is truncated (the message names it and the byte), its sampling rate is not
    /// <see cref="AudioFolderOptions.SamplingRate"/>, or the clips cannot be laid out in one tensor.
    /// </exception>
    /// <exception cref="IOException">A file cannot be read, for example because it was deleted after the folder was listed (<see cref="FileNotFoundException"/>); the message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">A file may not be read; the message names it.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static AudioFolderData Load(string directory, AudioFolderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        (AudioFolderOptions checkedOptions, uint? seed) = AudioFolderOptionsCheck.Validate(options, bothSubsets: false);
        FolderIndex index = List(directory, checkedOptions, seed).Select(checkedOptions.ValidationSplit, checkedOptions.Subset, directory);
        return Read(index, 0, index.Paths.Length, checkedOptions, cancellationToken);
    }

    /// <summary>
    /// Reads both subsets of a split folder (Keras' <c>subset="both"</c>): the training clips are the first
    /// 1 - <see cref="AudioFolderOptions.ValidationSplit"/> of the shuffled files, the validation clips the rest. Without
    /// <see cref="AudioFolderOptions.OutputSequenceLength"/> each subset is padded to its own longest clip.
    /// </summary>
    /// <param name="directory">The folder, holding one sub-folder of WAV files per class.</param>
    /// <param name="options">The options, with a <see cref="AudioFolderOptions.ValidationSplit"/>, a <see cref="AudioFolderOptions.Seed"/> when shuffling, and no <see cref="AudioFolderOptions.Subset"/>.</param>
    /// <param name="cancellationToken">Stops the read between files.</param>
    /// <returns>The training and the validation clips, disjoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="Load"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">As for <see cref="Load"/>.</exception>
    /// <exception cref="IOException">As for <see cref="Load"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">As for <see cref="Load"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static (AudioFolderData Training, AudioFolderData Validation) LoadSplit(string directory, AudioFolderOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        (AudioFolderOptions checkedOptions, uint? seed) = AudioFolderOptionsCheck.Validate(options, bothSubsets: true);
        FolderIndex all = List(directory, checkedOptions, seed);
        FolderIndex training = all.Subset(checkedOptions.ValidationSplit, FolderSubset.Training, directory);
        FolderIndex validation = all.Subset(checkedOptions.ValidationSplit, FolderSubset.Validation, directory);
        return (Read(training, 0, training.Paths.Length, checkedOptions, cancellationToken),
            Read(validation, 0, validation.Paths.Length, checkedOptions, cancellationToken));
    }

    /// <summary>
    /// Lists the folder now and reads it lazily, <see cref="AudioFolderOptions.BatchSize"/> clips at a time (the last
    /// batch may be smaller); without <see cref="AudioFolderOptions.OutputSequenceLength"/> each batch is padded to its
    /// own longest clip, as Keras' <c>padded_batch</c>.
    /// </summary>
    /// <remarks>
    /// With <see cref="AudioFolderOptions.Shuffle"/> on, the sequence is reshuffled each time it is enumerated, as Keras'
    /// dataset is every epoch: the first enumeration reads the files in the order of <see cref="Load"/> (Keras'
    /// <c>index_directory</c> permutation, before the 8 x <c>batch_size</c> shuffle buffer Keras' dataset applies to every
    /// epoch, the first included, which is not reproduced), each
    /// later one in a new permutation drawn from the seed and the enumeration's number, exactly as
    /// <see cref="ImageFolder.EnumerateBatches"/>. Call this method once and enumerate the result every epoch.
    /// </remarks>
    /// <param name="directory">The folder, holding one sub-folder of WAV files per class.</param>
    /// <param name="options">As for <see cref="Load"/>.</param>
    /// <param name="cancellationToken">Stops the read between files.</param>
    /// <returns>The batches, each with new tensors; enumerating again reshuffles when shuffling.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="Load"/> (thrown at once).</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist (thrown at once).</exception>
    /// <exception cref="InvalidDataException">
    /// The folder has no WAV files or the split leaves a subset empty (thrown at once); a file cannot be decoded or has
    /// another sampling rate (thrown when its batch is read).
    /// </exception>
    /// <exception cref="IOException">A file cannot be read (thrown when its batch is read; the message names it).</exception>
    /// <exception cref="UnauthorizedAccessException">A file may not be read (thrown when its batch is read; the message names it).</exception>
    public static IEnumerable<AudioFolderData> EnumerateBatches(string directory, AudioFolderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        (AudioFolderOptions checkedOptions, uint? seed) = AudioFolderOptionsCheck.Validate(options, bothSubsets: false);
        FolderIndex index = List(directory, checkedOptions, seed).Select(checkedOptions.ValidationSplit, checkedOptions.Subset, directory);
        return new FolderBatches<AudioFolderData>(index, checkedOptions.BatchSize, seed, (order, start, count) => Read(order, start, count, checkedOptions, cancellationToken));
    }

    private static FolderIndex List(string directory, AudioFolderOptions options, uint? seed) =>
        FolderIndex.List(directory, FolderKind.Audio, options.LabelMode, options.ClassNames, options.Labels, options.FollowLinks, seed);

    /// <summary>Decodes files [start, start + count) of the index and lays them out.</summary>
    private static AudioFolderData Read(FolderIndex index, int start, int count, AudioFolderOptions options, CancellationToken cancellationToken)
    {
        string[] paths = index.Paths[start..(start + count)];
        var clips = new WavClip[count];
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            clips[i] = WavDecoding.Decode(paths[i]);
            if (options.SamplingRate is int rate && clips[i].SamplingRate != rate)
            {
                throw new InvalidDataException(Invariant($"The WAV file '{paths[i]}' has a sampling rate of {clips[i].SamplingRate} Hz; expected SamplingRate {rate} Hz. NeuralNet does not resample (Keras does, with tensorflow-io): convert the file, or leave SamplingRate null to accept any rate."));
            }
        }

        (Tensor? audio, Tensor[] tensors) = AudioStacking.Stack(clips, paths, options.OutputSequenceLength, options.Ragged);
        int[]? classes = index.Labels?[start..(start + count)];
        return new AudioFolderData(audio, tensors, FolderLabels.ToTensor(classes, index.ClassNames.Count, options.LabelMode), index.ClassNames, paths, [.. clips.Select(c => c.SamplingRate)]);
    }
}
