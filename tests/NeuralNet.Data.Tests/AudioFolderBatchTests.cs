using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>
/// AudioFolder's batches and layouts: errors deferred to the batch that meets them, subsets read lazily, the class
/// names, and the clips that cannot be laid out (Keras' padded_batch and batch in audio_dataset_utils.prepare_dataset).
/// </summary>
public class AudioFolderBatchTests
{
    [Fact]
    public void EnumerateBatches_BadFileOrOtherRate_ThrownOnlyWhenItsBatchIsRead()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("c", "a.wav"), [1]);
        TestWavs.Write(folder.File("c", "b.wav"), [2]);
        string bad = folder.File("c", "c.wav");

        File.WriteAllBytes(bad, TestWavs.Pcm16([1, 2])[..^1]);
        using (IEnumerator<AudioFolderData> batches = AudioFolder.EnumerateBatches(folder.Root, new AudioFolderOptions { Shuffle = false, BatchSize = 2 }).GetEnumerator())
        {
            Assert.True(batches.MoveNext());
            Assert.Equal([1 / 32768f, 2 / 32768f], batches.Current.Audio!.ToArray());
            var error = Assert.Throws<InvalidDataException>(() => batches.MoveNext());
            Assert.Contains($"'{bad}'", error.Message);
        }

        TestWavs.Write(bad, [3], rate: 22050);
        using (IEnumerator<AudioFolderData> batches = AudioFolder.EnumerateBatches(folder.Root, new AudioFolderOptions { Shuffle = false, BatchSize = 2, SamplingRate = 16000 }).GetEnumerator())
        {
            Assert.True(batches.MoveNext());
            var error = Assert.Throws<InvalidDataException>(() => batches.MoveNext());
            Assert.Contains($"'{bad}'", error.Message);
            Assert.Contains("22050", error.Message);
        }
    }

    [Fact]
    public void EnumerateBatches_Subset_TheFilesOfLoadsSubsetInOrder()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 10; i++)
        {
            TestWavs.Write(folder.File(i % 2 == 0 ? "even" : "odd", $"f{i}.wav"), [(short)i]);
        }

        foreach (FolderSubset subset in new[] { FolderSubset.Training, FolderSubset.Validation })
        {
            var options = new AudioFolderOptions { Seed = 3, ValidationSplit = 0.3, Subset = subset, BatchSize = 2 };
            AudioFolderData whole = AudioFolder.Load(folder.Root, options);
            AudioFolderData[] batches = [.. AudioFolder.EnumerateBatches(folder.Root, options)];

            Assert.Equal(subset == FolderSubset.Training ? 7 : 3, whole.Count); // int(0.3 x 10) = 3 for validation
            Assert.Equal(whole.FilePaths, batches.SelectMany(b => b.FilePaths));
            Assert.Equal(whole.Labels!.ToArray(), batches.SelectMany(b => b.Labels!.ToArray()));
        }
    }

    [Fact]
    public void ClassNames_SortedSubFoldersAndReadOnlyInEveryBatch()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("yes", "1.wav"), [1]);
        TestWavs.Write(folder.File("no", "2.wav"), [2]);
        AudioFolderData[] batches = [.. AudioFolder.EnumerateBatches(folder.Root, new AudioFolderOptions { Shuffle = false, BatchSize = 1 })];

        Assert.Equal(["no", "yes"], batches[0].ClassNames);
        Assert.Throws<NotSupportedException>(() => ((IList<string>)batches[0].ClassNames)[0] = "changed");
        Assert.Equal(["no", "yes"], batches[1].ClassNames);
    }

    [Fact]
    public void LoadAndEnumerateBatches_AllClipsEmpty_RefusedNamingAFile()
    {
        using var folder = new TempFolder();
        string empty = folder.File("c", "a.wav");
        TestWavs.Write(empty, []);
        TestWavs.Write(folder.File("c", "b.wav"), [1]);

        // Keras' padded_batch gives (1, 0, 1) for a batch of one empty clip; a NeuralNet tensor cannot have 0 frames.
        var error = Assert.Throws<InvalidDataException>(() => AudioFolder.EnumerateBatches(folder.Root, new AudioFolderOptions { Shuffle = false, BatchSize = 1 }).ToList());
        Assert.Contains($"'{empty}'", error.Message);
        Assert.Contains("no samples", error.Message);

        File.Delete(folder.File("c", "b.wav"));
        error = Assert.Throws<InvalidDataException>(() => AudioFolder.Load(folder.Root));
        Assert.Contains($"'{empty}'", error.Message);
        Assert.Equal(new TensorShape(0, 1), AudioFolder.Load(folder.Root, new AudioFolderOptions { Ragged = true }).Clips[0].Shape);
    }

    [Fact]
    public void Load_RaggedWithDifferentChannels_RefusedNamingBothFiles()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("c", "mono.wav"), [1, 2]);
        TestWavs.Write(folder.File("c", "stereo.wav"), [1, 2], channels: 2);

        var error = Assert.Throws<InvalidDataException>(() => AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, Ragged = true }));

        // The first clip (mono.wav, sorted) sets the channels; the first other one is named with it.
        Assert.Contains("stereo.wav' has 2 channel(s) and '", error.Message);
        Assert.Contains("mono.wav' has 1:", error.Message);
        Assert.Contains("Ragged", error.Message);
    }

    [Fact]
    public void Stack_MoreSamplesThanOneTensorHolds_RefusedBeforeAllocating()
    {
        // 3 clips of 2^30 frames (samples not materialised: the check comes before any copy) exceed Array.MaxLength.
        WavClip huge = new([], 1 << 30, 1, 8000);
        var error = Assert.Throws<InvalidDataException>(() => AudioStacking.Stack([huge, huge, huge], ["a.wav", "b.wav", "c.wav"], length: null, ragged: false));
        Assert.Contains("3 clips of 1073741824 frames x 1 channels do not fit in one tensor", error.Message);
    }

    [Fact]
    public void Load_FileLargerThanAnArray_IOExceptionNamingIt()
    {
        using var folder = new TempFolder();
        string big = folder.File("c", "big.wav");
        using (var stream = new FileStream(big, FileMode.CreateNew))
        {
            stream.SetLength(Array.MaxLength + 1L); // sparse where the file system allows it: nothing is written
        }

        var error = Assert.Throws<IOException>(() => AudioFolder.Load(folder.Root));

        Assert.Contains($"'{big}'", error.Message);
        Assert.Contains((Array.MaxLength + 1L).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }
}
