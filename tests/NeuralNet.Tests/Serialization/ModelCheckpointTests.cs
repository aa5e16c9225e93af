using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Serialization;

// ModelCheckpoint lives in Training/ but is part of the serialization work (issue #9), so its tests live here.
public class ModelCheckpointTests
{
    [Fact]
    public void OnEpochEnd_EpochPlaceholder_WritesOneCompleteModelPerEpoch()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(40, 8, 3, seed: 1);
        var model = DenseModel();
        var checkpoint = new ModelCheckpoint(Path.Combine(dir.Path, "m-{epoch:02d}.safetensors"));

        model.Fit(x, y, epochs: 3, batchSize: 10, callbacks: [checkpoint], verbose: 0);

        Assert.Equal(["m-01.safetensors", "m-02.safetensors", "m-03.safetensors"], dir.Entries());
        Assert.Equal(Bits(model.Predict(x)), Bits(Sequential.Load(dir.File("m-03.safetensors")).Predict(x)));
        Assert.Equal(2, checkpoint.LastSavedEpoch);
    }

    [Fact]
    public void OnEpochEnd_SaveBestOnly_SavesOnlyImprovements()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(40, 8, 3, seed: 2);
        var model = DenseModel();
        var losses = new List<double>();
        var saved = new List<int>();
        var checkpoint = new ModelCheckpoint(dir.File("best.safetensors"), monitor: "loss", saveBestOnly: true);
        var recorder = new LambdaCallback(onEpochEnd: (epoch, logs) =>
        {
            losses.Add(logs["loss"]);
            if (checkpoint.LastSavedEpoch == epoch)
            {
                saved.Add(epoch);
            }
        });
        var blowUp = new LambdaCallback(onEpochBegin: (epoch, _) => model.Optimizer!.LearningRate = epoch == 2 ? 5f : 0.01f);

        model.Fit(x, y, epochs: 4, batchSize: 10, callbacks: [blowUp, checkpoint, recorder], verbose: 0);

        var expected = new List<int>();
        double best = double.PositiveInfinity;
        for (int e = 0; e < losses.Count; e++)
        {
            if (losses[e] < best)
            {
                best = losses[e];
                expected.Add(e);
            }
        }

        Assert.Equal(expected, saved);
        Assert.True(expected.Count < losses.Count, "the learning-rate spike should make at least one epoch worse");
        Assert.Equal(best, checkpoint.Best);
    }

    [Fact]
    public void OnEpochEnd_SaveWeightsOnly_WritesAWeightsFile()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 3);
        var model = DenseModel();

        model.Fit(x, y, epochs: 1, batchSize: 10, callbacks: [new ModelCheckpoint(dir.File("w.safetensors"), saveWeightsOnly: true)], verbose: 0);

        var other = DenseModel(seed: 99);
        other.LoadWeights(dir.File("w.safetensors"));
        AssertSameWeights(model, other);
        Assert.Throws<InvalidDataException>(() => Sequential.Load(dir.File("w.safetensors")));
    }

    [Fact]
    public void Resume_FromMidFitCheckpointWithoutShuffling_EqualsUninterruptedTraining()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(60, 8, 3, seed: 4);
        var uninterrupted = DenseModel(seed: 21);
        uninterrupted.Fit(x, y, epochs: 4, batchSize: 12, shuffle: false, verbose: 0);

        var crashed = DenseModel(seed: 21);
        var checkpoint = new ModelCheckpoint(Path.Combine(dir.Path, "ckpt-{epoch}.safetensors"));
        crashed.Fit(x, y, epochs: 4, batchSize: 12, shuffle: false, callbacks: [checkpoint], verbose: 0);
        var resumed = Sequential.Load(dir.File("ckpt-2.safetensors"));
        resumed.Fit(x, y, epochs: 2, batchSize: 12, shuffle: false, verbose: 0);

        AssertSameWeights(uninterrupted, resumed);
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint(" "));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelCheckpoint("m.safetensors", verbose: 2));
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint("m-{epoch:Q}.safetensors"));
    }

    [Fact]
    public void OnEpochEnd_UnknownPlaceholder_ThrowsListingLogs()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 5);
        var model = DenseModel();

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, batchSize: 10, callbacks: [new ModelCheckpoint(Path.Combine(dir.Path, "m-{val_accuracy}.safetensors"))], verbose: 0));

        Assert.Contains("accuracy", ex.Message, StringComparison.Ordinal);
        Assert.Empty(dir.Entries());
    }

    [Theory]
    [InlineData("best.keras")]
    [InlineData("m.weights.h5")]
    [InlineData("M.HDF5")]
    public void KerasExtensions_AreRefusedBeforeAnythingIsWritten(string name)
    {
        // The file would be safetensors under a name Keras and h5py take for their own formats.
        using var dir = new TempDirectory();
        var model = DenseModel();
        var (x, y) = Classification(20, 8, 3, seed: 8);
        model.Fit(x, y, epochs: 1, batchSize: 10, verbose: 0);

        var ex = Assert.Throws<ArgumentException>(() => model.Save(dir.File(name)));
        Assert.Equal("path", ex.ParamName);
        Assert.Contains("use a .safetensors path", ex.Message, StringComparison.Ordinal);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => model.SaveWeights(dir.File(name))).ParamName);
        var checkpointError = Assert.Throws<ArgumentException>(() => new ModelCheckpoint(dir.File(name)));
        Assert.Equal("path", checkpointError.ParamName);
        // The refusal says how to write Keras' file instead (NeuralNet.Keras supplies the format).
        Assert.Contains("format: KerasCheckpointFormat.Instance", checkpointError.Message, StringComparison.Ordinal);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void OnEpochEnd_WithAFormat_SavesThroughItWithTheFilledPath()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 8);
        var model = DenseModel();
        var format = new RecordingFormat();
        var models = new ModelCheckpoint(Path.Combine(dir.Path, "m-{epoch}.keras"), format: format);
        var weights = new ModelCheckpoint(Path.Combine(dir.Path, "w-{epoch}.weights.h5"), saveWeightsOnly: true, format: format);

        model.Fit(x, y, epochs: 2, batchSize: 10, callbacks: [models, weights], verbose: 0);

        Assert.Equal([("path", false), ("path", true)], format.Checks);
        Assert.Equal([false, true], format.ModelChecks);
        Assert.Equal(["model m-1.keras", "weights w-1.weights.h5", "model m-2.keras", "weights w-2.weights.h5"], format.Saves);
        Assert.Same(format, models.Format);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void Fit_ModelSaveWouldRefuse_IsRefusedBeforeTheFirstStep()
    {
        // An unregistered layer of the user's: Model.Save refuses it, so the checkpoint refuses before anything trains
        // (it failed at its first save, after an epoch). Its weights still save.
        using var dir = new TempDirectory();
        var x = new Input(new TensorShape(3), "x");
        var model = new Functional(x, new Dense(2).Call(new Tests.Models.UnregisteredDouble().Call(x)));
        model.Compile(new NeuralNet.Optimizers.Sgd(0.1), new NeuralNet.Losses.MeanSquaredError());
        Tensor inputs = Tensor.RandomNormal(new TensorShape(8, 3), 1), targets = Tensor.RandomNormal(new TensorShape(8, 2), 2);
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<NotSupportedException>(() => model.Fit(inputs, targets, epochs: 2, batchSize: 4, verbose: 0,
            callbacks: [new ModelCheckpoint(dir.File("m.safetensors"), monitor: "loss")]));

        Assert.Contains("UnregisteredDouble: it is not registered", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
        Assert.Empty(dir.Entries());
        model.Fit(inputs, targets, epochs: 1, batchSize: 4, verbose: 0, callbacks: [new ModelCheckpoint(dir.File("w.safetensors"), saveWeightsOnly: true)]);
        Assert.Equal(["w.safetensors"], dir.Entries());
    }

    [Fact]
    public void Constructor_FormatRefusingThePath_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ModelCheckpoint("m.safetensors", format: new RecordingFormat()));

        Assert.Equal("path", ex.ParamName);
    }

    [Fact]
    public void OnEpochEnd_Verbose_ReportsImprovementAndSave()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 6);
        var model = DenseModel();
        var output = new StringWriter();

        model.Fit(x, y, epochs: 1, batchSize: 10, callbacks: [new ModelCheckpoint(dir.File("m.safetensors"), "loss", saveBestOnly: true, verbose: 1, output: output)], verbose: 0);

        // Keras' {:.5f}: "improved from inf to 1.09861, saving model to ...".
        Assert.Matches(@"^Epoch 1: loss improved from inf to \d+\.\d{5}, saving model to ", output.ToString());
        Assert.Contains("saving model to", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void OnEpochEnd_InitialValueThreshold_SavesOnlyEpochsThatBeatIt()
    {
        // A resumed run gives the best value of the run it continues: no epoch here reaches a loss of 0, so the best
        // checkpoint (of the earlier run) must not be overwritten.
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 7);
        var output = new StringWriter();
        var resumed = new ModelCheckpoint(dir.File("best.safetensors"), "loss", saveBestOnly: true, verbose: 1, output: output, initialValueThreshold: 0);
        Assert.Equal(0, resumed.Best);

        DenseModel().Fit(x, y, epochs: 2, batchSize: 10, callbacks: [resumed], verbose: 0);

        Assert.Empty(dir.Entries());
        Assert.Equal(-1, resumed.LastSavedEpoch);
        Assert.Equal(0, resumed.Best);
        Assert.StartsWith("Epoch 1: loss did not improve from 0.00000\n", output.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);

        // A threshold the first epoch beats saves it, as Keras' initial_value_threshold.
        var beaten = new ModelCheckpoint(dir.File("best.safetensors"), "loss", saveBestOnly: true, initialValueThreshold: 1e9);
        DenseModel().Fit(x, y, epochs: 1, batchSize: 10, callbacks: [beaten], verbose: 0);
        Assert.Equal(0, beaten.LastSavedEpoch);
        Assert.Equal(["best.safetensors"], dir.Entries());
    }

    [Fact]
    public void Constructor_NaNInitialValueThreshold_Throws() =>
        Assert.Equal("initialValueThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelCheckpoint("m.safetensors", initialValueThreshold: double.NaN)).ParamName);

    [Fact]
    public void OnEpochEnd_MissingFolder_IsCreated()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 8);

        DenseModel().Fit(x, y, epochs: 2, batchSize: 10, callbacks: [new ModelCheckpoint(Path.Combine(dir.Path, "runs", "e{epoch}", "m.safetensors"))], verbose: 0);

        Assert.True(File.Exists(Path.Combine(dir.Path, "runs", "e1", "m.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "runs", "e2", "m.safetensors")));
    }

    [Fact]
    public void Fit_PlaceholderTheLogsWillNotHold_ThrowsBeforeTheFirstStep()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 9);
        var model = DenseModel();
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 2, batchSize: 10, validationData: (x, y), verbose: 0,
            callbacks: [new ModelCheckpoint(Path.Combine(dir.Path, "m-{val_los:.3f}.safetensors"))]));

        Assert.Contains("{val_los}, which will not be in the epoch logs", ex.Message, StringComparison.Ordinal);
        Assert.Contains("val_loss", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void OnEpochEnd_PythonFormats_NameFilesAsKerasDoes()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 10);

        History history = DenseModel().Fit(x, y, epochs: 2, batchSize: 10, verbose: 0, callbacks:
        [
            new ModelCheckpoint(Path.Combine(dir.Path, "a-{epoch:03}.safetensors"), saveWeightsOnly: true),
            new ModelCheckpoint(Path.Combine(dir.Path, "b-{epoch:3}.safetensors"), saveWeightsOnly: true),
            new ModelCheckpoint(Path.Combine(dir.Path, "c-{epoch}-{loss:.2e}.safetensors"), saveWeightsOnly: true),
            new ModelCheckpoint(Path.Combine(dir.Path, "d-{epoch}-{loss:.3}.safetensors"), saveWeightsOnly: true),
        ]);

        // The text of a value comes from PythonFormat, checked against CPython in PythonFormatTests.
        string Python(double value, string spec)
        {
            Assert.True(PythonFormat.TryParse(spec, integer: false, out PythonFormat.Spec parsed, out _));
            return PythonFormat.Format(value, parsed);
        }

        string[] expected =
        [
            "a-001.safetensors", "a-002.safetensors", "b-  1.safetensors", "b-  2.safetensors",
            .. Enumerable.Range(0, 2).Select(e => $"c-{e + 1}-{Python(history["loss"][e], ".2e")}.safetensors"),
            .. Enumerable.Range(0, 2).Select(e => $"d-{e + 1}-{Python(history["loss"][e], ".3")}.safetensors"),
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), dir.Entries());
        Assert.Matches(@"^c-1-[1-9]\.[0-9]{2}e[-+][0-9]{2}\.safetensors$", expected[4]);
    }

    [Theory]
    [InlineData("m-{epoch:<5}.safetensors")]
    [InlineData("m-{epoch:.2d}.safetensors")]
    [InlineData("m-{epoch:x}.safetensors")]
    [InlineData("m-{loss:02d}.safetensors")]
    [InlineData("m-{loss:D3}.safetensors")]
    [InlineData("m-{loss:,.2f}.safetensors")]
    public void Constructor_UnsupportedFormat_ThrowsNamingThePlaceholder(string path)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ModelCheckpoint(path));
        Assert.Equal("path", ex.ParamName);
        Assert.Contains("placeholder " + path[2..path.IndexOf('}', StringComparison.Ordinal)] + "}", ex.Message, StringComparison.Ordinal);
    }

    // Records what ModelCheckpoint asks of a format; refuses a .safetensors path as Keras' format would.
    private sealed class RecordingFormat : ICheckpointFormat
    {
        public List<(string Parameter, bool WeightsOnly)> Checks { get; } = [];

        public List<string> Saves { get; } = [];

        public List<bool> ModelChecks { get; } = [];

        public void CheckModel(Model model, bool weightsOnly)
        {
            Assert.Equal(0, model.Optimizer!.Iterations);
            ModelChecks.Add(weightsOnly);
        }

        public void CheckPath(string path, bool weightsOnly, string parameterName)
        {
            if (path.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                throw new ArgumentException("not this format", parameterName);
            }

            Checks.Add((parameterName, weightsOnly));
        }

        public void SaveModel(Model model, string path) => Saves.Add("model " + Path.GetFileName(path));

        public void SaveWeights(Model model, string path) => Saves.Add("weights " + Path.GetFileName(path));
    }
}
