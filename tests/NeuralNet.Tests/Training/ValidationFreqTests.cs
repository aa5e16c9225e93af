using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.Models;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>Fit's validationFreq (Keras' validation_freq): validation after every n-th epoch, and what reads its logs.</summary>
public class ValidationFreqTests
{
    [Fact]
    public void Fit_EverySecondEpoch_ValidatesAfterEpochs2And4_WithTheValuesOfAFullRun()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(96, 6, 3, seed: 3);
        (Tensor vx, Tensor vy) = ModelTestData.RandomClassification(40, 6, 3, seed: 4);

        History every = NewModel().Fit(x, y, epochs: 5, batchSize: 16, validationData: (vx, vy), verbose: 0, seed: 9);
        History second = NewModel().Fit(x, y, epochs: 5, batchSize: 16, validationData: (vx, vy), verbose: 0, seed: 9, validationFreq: 2);

        // Keras 3's _should_eval: (epoch + 1) % validation_freq == 0. Training is unchanged by skipping validation.
        Assert.Equal([0, 1, 2, 3, 4], second.EpochsOf("loss"));
        Assert.Equal([1, 3], second.EpochsOf("val_loss"));
        Assert.Equal([1, 3], second.EpochsOf("val_accuracy"));
        Assert.Equal(every["loss"], second["loss"]);
        Assert.Equal([every["val_loss"][1], every["val_loss"][3]], second["val_loss"]);
        Assert.Equal([every["val_accuracy"][1], every["val_accuracy"][3]], second["val_accuracy"]);
        Assert.Equal([0, 1, 2, 3, 4], every.EpochsOf("val_loss"));
    }

    [Fact]
    public void Fit_DataSource_HonoursValidationFreq()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(48, 6, 3, seed: 5);
        History history = NewModel().Fit(DataSource.FromBatches(DataSourceFitTests.Batches(x, y)), epochs: 3,
            validationData: DataSource.FromBatches(DataSourceFitTests.Batches(x, y)), verbose: 0, validationFreq: 3);

        Assert.Equal([2], history.EpochsOf("val_loss"));
    }

    [Fact]
    public void MonitoringCallbacks_SkipEpochsNotValidated_AsKeras()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(48, 6, 3, seed: 6);

        // An improvement nothing reaches after the first value (epoch 2): the validated epochs 4 and 6 count toward patience,
        // the others not at all, so training stops after epoch 6 (every epoch validated, it would stop after epoch 3).
        var stopping = new EarlyStopping("val_loss", minDelta: 1000, patience: 2, mode: MonitorMode.Min);
        History stopped = NewModel().Fit(x, y, epochs: 10, batchSize: 16, validationData: (x, y), verbose: 0, callbacks: [stopping], validationFreq: 2);
        Assert.Equal(6, stopped.EpochCount);
        Assert.Equal(5, stopping.StoppedEpoch);

        string folder = Path.Combine(Path.GetTempPath(), $"validation-freq-{Guid.NewGuid():N}");
        try
        {
            var output = new StringWriter();
            var checkpoint = new ModelCheckpoint(Path.Combine(folder, "best-{val_loss:.3f}.safetensors"), saveBestOnly: true, verbose: 1, output: output);
            var plateau = new ReduceLROnPlateau("val_loss", patience: 1, minDelta: 10, mode: MonitorMode.Min);
            var csv = new CsvLogger(Path.Combine(folder, "log.csv"));
            Directory.CreateDirectory(folder);
            Model model = NewModel();
            model.Fit(x, y, epochs: 3, batchSize: 16, validationData: (x, y), verbose: 0, callbacks: [checkpoint, plateau, csv], validationFreq: 3);

            Assert.Equal(2, checkpoint.LastSavedEpoch);
            Assert.Contains("Epoch 1: val_loss is not available (validationFreq), skipping.", output.ToString(), StringComparison.Ordinal);

            // One validated epoch: its value is the first best, so the plateau has not begun and the rate is unchanged.
            Assert.Equal(0.01f, model.Optimizer!.LearningRate);

            string[] lines = File.ReadAllLines(Path.Combine(folder, "log.csv"));
            Assert.Equal("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss", lines[0]);
            Assert.EndsWith(",NA", lines[1], StringComparison.Ordinal);
            Assert.EndsWith(",NA", lines[2], StringComparison.Ordinal);
            Assert.DoesNotContain("NA", lines[3], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ModelCheckpoint_PathNamingAValueOfSomeEpochsOnly_RefusedBeforeTraining()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(16, 6, 3, seed: 8);
        Model model = NewModel();
        var checkpoint = new ModelCheckpoint(Path.Combine(Path.GetTempPath(), "never-{epoch}-{val_loss:.3f}.safetensors"));
        var e = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 2, validationData: (x, y), verbose: 0, callbacks: [checkpoint], validationFreq: 2));
        Assert.Contains("{val_loss}", e.Message, StringComparison.Ordinal);
        Assert.Contains("validationFreq", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    [Fact]
    public void ValidationFreq_BelowOne_RefusedNamingIt()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(8, 6, 3, seed: 7);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NewModel().Fit(x, y, validationFreq: 0, verbose: 0));
        Assert.Equal("validationFreq", e.ParamName);
        Assert.Contains("at least 1", e.Message, StringComparison.Ordinal);
    }

    private static Sequential NewModel()
    {
        var model = new Sequential([new InputLayer(6), new Dense(8, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: 2);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }
}
