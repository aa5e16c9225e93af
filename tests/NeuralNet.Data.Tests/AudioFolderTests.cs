using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>
/// AudioFolder against Keras' audio_dataset_from_directory and tf.audio.decode_wav: samples are int16 / 32768
/// (wav_io.cc's Int16SampleToFloat), laid out (clips, frames, channels); desired_samples crops or pads with zeros
/// (decode_wav_op.cc); padded_batch pads to the longest clip (audio_dataset_utils.prepare_dataset).
/// </summary>
public class AudioFolderTests
{
    private static readonly AudioFolderOptions s_sorted = new() { Shuffle = false };

    [Fact]
    public void Load_MonoAndStereo_SamplesAreInt16Over32768InFramesByChannels()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("a", "mono.wav"), [short.MinValue, -1, 0, 1, short.MaxValue]);
        TestWavs.Write(folder.File("b", "stereo.wav"), [100, -200, 300, -400, 16384, -16384, 7, 8, 9, 10], channels: 2);

        AudioFolderData data = AudioFolder.Load(folder.Root, s_sorted);

        // Both padded to the longest clip (5 frames) and the most channels (2), as Keras' padded_batch.
        Assert.Equal(new TensorShape(2, 5, 2), data.Audio!.Shape);
        float[] expected =
        [
            -32768 / 32768f, 0, -1 / 32768f, 0, 0, 0, 1 / 32768f, 0, 32767 / 32768f, 0,
            100 / 32768f, -200 / 32768f, 300 / 32768f, -400 / 32768f, 0.5f, -0.5f, 7 / 32768f, 8 / 32768f, 9 / 32768f, 10 / 32768f,
        ];
        Assert.Equal(expected, data.Audio.ToArray());
        Assert.Equal(["a", "b"], data.ClassNames);
        Assert.Equal([0f, 1f], data.Labels!.ToArray());
        Assert.Equal([16000, 16000], data.SamplingRates);
        Assert.Equal(new TensorShape(5, 2), data.Clips[1].Shape);
        Assert.True(data.Clips[1].SharesStorageWith(data.Audio));
    }

    [Fact]
    public void Load_OutputSequenceLength_CropsLongerAndZeroPadsShorterAsDesiredSamples()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("c", "long.wav"), [1, 2, 3, 4, 5, 6], channels: 2);
        TestWavs.Write(folder.File("c", "short.wav"), [7, 8], channels: 2);

        AudioFolderData data = AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, OutputSequenceLength = 2 });
        Assert.Equal(new TensorShape(2, 2, 2), data.Audio!.Shape);
        Assert.Equal(new[] { 1, 2, 3, 4, 7, 8, 0, 0 }.Select(v => v / 32768f), data.Audio.ToArray());

        AudioFolderData padded = AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, OutputSequenceLength = 4 });
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 0, 0, 0, 0, 0, 0 }.Select(v => v / 32768f), padded.Audio!.ToArray());
    }

    [Fact]
    public void Load_Ragged_EachClipAtItsOwnLengthAndNoTensor()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("c", "1.wav"), [1, 2, 3]);
        TestWavs.Write(folder.File("c", "2.wav"), [4]);
        TestWavs.Write(folder.File("c", "3.wav"), []);

        AudioFolderData data = AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, Ragged = true });

        Assert.Null(data.Audio);
        Assert.Equal([new TensorShape(3, 1), new TensorShape(1, 1), new TensorShape(0, 1)], data.Clips.Select(c => c.Shape));
        Assert.Equal([4 / 32768f], data.Clips[1].ToArray());
    }

    [Fact]
    public void EnumerateBatches_EachBatchPaddedToItsOwnLongestClipAndReshuffledNextTime()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 5; i++)
        {
            TestWavs.Write(folder.File("c", $"{i}.wav"), [.. Enumerable.Repeat((short)(i + 1), i + 1)]);
        }

        AudioFolderData[] sorted = [.. AudioFolder.EnumerateBatches(folder.Root, new AudioFolderOptions { Shuffle = false, BatchSize = 2 })];
        Assert.Equal([new TensorShape(2, 2, 1), new TensorShape(2, 4, 1), new TensorShape(1, 5, 1)], sorted.Select(b => b.Audio!.Shape));
        Assert.Equal(new[] { 1, 0, 2, 2 }.Select(v => v / 32768f), sorted[0].Audio!.ToArray());

        var options = new AudioFolderOptions { Seed = 3, BatchSize = 2 };
        IEnumerable<AudioFolderData> batches = AudioFolder.EnumerateBatches(folder.Root, options);
        string[] first = [.. batches.SelectMany(b => b.FilePaths)];
        string[] second = [.. batches.SelectMany(b => b.FilePaths)];
        Assert.Equal(AudioFolder.Load(folder.Root, options).FilePaths, first);
        Assert.NotEqual(first, second);
        Assert.Equal(first.Order(), second.Order());
    }

    [Fact]
    public void Load_LabelModes_IntCategoricalBinaryAndNone()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("no", "1.wav"), [1]);
        TestWavs.Write(folder.File("no", "2.wav"), [2]);
        TestWavs.Write(folder.File("yes", "3.wav"), [3]);
        folder.WriteText(Path.Combine("yes", "notes.txt"), "not audio");

        Assert.Equal([0f, 0f, 1f], AudioFolder.Load(folder.Root, s_sorted).Labels!.ToArray());
        Tensor categorical = AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, LabelMode = FolderLabelMode.Categorical }).Labels!;
        Assert.Equal(new TensorShape(3, 2), categorical.Shape);
        Assert.Equal([1f, 0f, 1f, 0f, 0f, 1f], categorical.ToArray());
        Tensor binary = AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, LabelMode = FolderLabelMode.Binary }).Labels!;
        Assert.Equal(new TensorShape(3, 1), binary.Shape);
        AudioFolderData none = AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, LabelMode = FolderLabelMode.None });
        Assert.Null(none.Labels);
        Assert.Empty(none.ClassNames);
        Assert.Equal(3, none.Count);

        AudioFolderData given = AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, Labels = [1, 0, 1] });
        Assert.Equal(["0", "1"], given.ClassNames);
        Assert.Equal([1f, 0f, 1f], given.Labels!.ToArray());
    }

    [Fact]
    public void Load_SameNamesAsATextFolder_SameOrderAndSameSplit()
    {
        using var audio = new TempFolder();
        using var texts = new TempFolder();
        for (int i = 0; i < 23; i++)
        {
            string cls = $"class{i % 3}";
            string sub = i % 4 == 0 ? "sub" : "";
            TestWavs.Write(audio.File(cls, sub, $"f{i}.wav"), [(short)i]);
            texts.WriteText(Path.Combine(cls, sub, $"f{i}.txt"), $"f{i}");
        }

        static string[] Stems(IReadOnlyList<string> paths, string root) => [.. paths.Select(p => Path.ChangeExtension(Path.GetRelativePath(root, p), null))];
        var options = new AudioFolderOptions { Seed = 42, ValidationSplit = 0.3 };
        (AudioFolderData training, AudioFolderData validation) = AudioFolder.LoadSplit(audio.Root, options);
        (TextFolderData textTraining, TextFolderData textValidation) = TextFolder.LoadSplit(texts.Root, new TextFolderOptions { Seed = 42, ValidationSplit = 0.3 });

        Assert.Equal(Stems(textTraining.FilePaths, texts.Root), Stems(training.FilePaths, audio.Root));
        Assert.Equal(Stems(textValidation.FilePaths, texts.Root), Stems(validation.FilePaths, audio.Root));
        Assert.Equal(textValidation.Labels!.ToArray(), validation.Labels!.ToArray());
        Assert.Equal((17, 6), (training.Count, validation.Count)); // int(0.3 x 23) = 6 for validation
        Assert.Equal(validation.FilePaths, AudioFolder.Load(audio.Root, new AudioFolderOptions { Seed = 42, ValidationSplit = 0.3, Subset = FolderSubset.Validation }).FilePaths);
    }

    [Fact]
    public void Load_ShuffleSeed0_IndexDirectoryPermutation()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 10; i++)
        {
            TestWavs.Write(folder.File("c", $"f{i}.wav"), [(short)i]);
        }

        // Keras' index_directory lists f0..f9 and shuffles them with np.random.RandomState(0), whose permutation(10) is
        // [2 8 4 9 1 6 7 3 0 5]. Keras' dataset then reshuffles through a buffer of 8 x batch_size: not checked here.
        AudioFolderData data = AudioFolder.Load(folder.Root, new AudioFolderOptions { Seed = 0 });
        Assert.Equal(new[] { 2, 8, 4, 9, 1, 6, 7, 3, 0, 5 }.Select(i => i / 32768f), data.Audio!.ToArray());
    }

    [Fact]
    public void Load_SamplingRate_FilesOfThatRateReadAndOthersRefusedNamingTheirRate()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("c", "a.wav"), [1], rate: 16000);
        TestWavs.Write(folder.File("c", "b.wav"), [2], rate: 22050);

        Assert.Equal([16000, 22050], AudioFolder.Load(folder.Root, s_sorted).SamplingRates);
        var error = Assert.Throws<InvalidDataException>(() => AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, SamplingRate = 16000 }));
        Assert.Contains("b.wav", error.Message);
        Assert.Contains("22050", error.Message);

        TestWavs.Write(folder.File("c", "b.wav"), [2], rate: 16000);
        Assert.Equal(2, AudioFolder.Load(folder.Root, new AudioFolderOptions { SamplingRate = 16000, Seed = 1 }).Count);
    }

    [Fact]
    public void Load_Cancelled_Throws()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("c", "a.wav"), [1]);
        Assert.Throws<OperationCanceledException>(() => AudioFolder.Load(folder.Root, null, new CancellationToken(canceled: true)));
    }

    /// <summary>The docs' example (docs/data.md, AudioFolder's remarks), at a small size: AudioFolder into StftSpectrogram.</summary>
    [Fact]
    public void Fit_ClipsIntoStftSpectrogram_ModelTellsLowFromHighTones()
    {
        using var folder = new TempFolder();
        var random = new Random(7);
        for (int i = 0; i < 24; i++)
        {
            foreach ((string name, double cycles) in new[] { ("low", 4.0), ("high", 40.0) })
            {
                double phase = random.NextDouble() * 2 * Math.PI;
                short[] tone = [.. Enumerable.Range(0, 256).Select(t => (short)(8000 * Math.Sin(phase + 2 * Math.PI * cycles * t / 256)))];
                TestWavs.Write(folder.File(name, $"{i}.wav"), tone, rate: 8000);
            }
        }

        var (train, validation) = AudioFolder.LoadSplit(folder.Root, new AudioFolderOptions { ValidationSplit = 0.25, Seed = 0, OutputSequenceLength = 256 });
        var model = new Sequential([new InputLayer(256, 1), new StftSpectrogram(frameLength: 64, frameStep: 32) { Trainable = false },
            new GlobalAveragePooling1D(), new Dense(train.ClassNames.Count, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(0.05f), new SparseCategoricalCrossEntropy(), new Accuracy());
        History history = model.Fit(train.Audio!, train.Labels!, epochs: 20, batchSize: 8, verbose: 0, seed: 1, validationData: (validation.Audio!, validation.Labels!));

        Assert.Equal(["high", "low"], train.ClassNames);
        Assert.Equal(1.0, history["val_accuracy"][^1]);
    }
}
