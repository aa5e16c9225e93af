using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Training;

public class MonitorCallbackTests
{
    // A user's callback on the shared base: counts improvements of the monitored value.
    private sealed class ImprovementCounter(string monitor, MonitorMode mode, double minDelta) : MonitorCallback(monitor, mode, minDelta)
    {
        private double? _best;

        public List<int> ImprovedEpochs { get; } = [];

        public bool IncreaseIsBetter => Maximizes;

        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
        {
            double value = ReadMonitor(logs);
            if (IsImprovement(value, _best))
            {
                _best = value;
                ImprovedEpochs.Add(epoch);
            }
        }
    }

    // A metric of the user's own: its direction is whatever the test declares (Unknown when it declares none).
    private sealed class ScoreMetric(string name, MetricDirection direction) : Metric
    {
        public override string Name => name;

        public override MetricDirection Direction => direction;

        public override void Reset()
        {
        }

        public override void Update(Tensor predictions, Tensor targets)
        {
        }

        public override double Result() => 0;
    }

    [Theory]
    [InlineData("val_loss", MonitorMode.Auto, false)]
    [InlineData("val_accel_loss", MonitorMode.Auto, false)]
    [InlineData("precision_head_loss", MonitorMode.Auto, false)]
    [InlineData("auc_loss", MonitorMode.Auto, false)]
    [InlineData("accuracy", MonitorMode.Min, false)]
    [InlineData("loss", MonitorMode.Max, true)]
    public void Mode_ResolvesTheDirectionWithoutAModel(string monitor, MonitorMode mode, bool maximizes) =>
        Assert.Equal(maximizes, new ImprovementCounter(monitor, mode, 0).IncreaseIsBetter);

    [Theory]
    [InlineData("accuracy", true)]
    [InlineData("val_accuracy", true)]
    [InlineData("auc", true)]
    [InlineData("val_precision", true)]
    [InlineData("recall", true)]
    [InlineData("val_r2_score", true)]
    [InlineData("f1_score", true)]
    [InlineData("val_mean_io_u", true)]
    [InlineData("top_k_categorical_accuracy", true)]
    [InlineData("val_mean_absolute_error", false)]
    [InlineData("mean_squared_error", false)]
    [InlineData("val_root_mean_squared_error", false)]
    [InlineData("val_loss", false)]
    public void AutoMode_FollowsTheCompiledMetricsDirection(string monitor, bool maximizes)
    {
        var model = new Sequential([new InputLayer(4), new Dense(3, ActivationFunction.Softmax)]);
        model.Compile(new Sgd(), new CategoricalCrossEntropy(),
            new Accuracy(), new Auc(), new Precision(), new Recall(), new R2Score(), new F1Score(), new MeanIoU(3),
            new TopKCategoricalAccuracy(), new MeanAbsoluteErrorMetric(), new MeanSquaredErrorMetric(), new RootMeanSquaredError());
        Assert.Equal(maximizes, new ImprovementCounter(monitor, MonitorMode.Auto, 0) { Model = model }.IncreaseIsBetter);
    }

    [Fact]
    public void AutoMode_UnknownDirection_FitThrowsBeforeTraining()
    {
        // Keras 3 raises ValueError here; guessing from the name would silently keep the worst epoch of "my_accuracy" if it
        // were an error rate.
        var (x, y) = Classification(32, 8, 3, seed: 33);
        var model = DenseModel(seed: 7);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new ScoreMetric("my_accuracy", MetricDirection.Unknown));
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, callbacks: [new EarlyStopping("my_accuracy")]));
        Assert.Contains("EarlyStopping monitors 'my_accuracy' in MonitorMode.Auto", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Metric.Direction", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());

        // An explicit mode needs no direction; so does a metric that declares one.
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, callbacks: [new EarlyStopping("my_accuracy", mode: MonitorMode.Max)]);
        Assert.Throws<InvalidOperationException>(() => new ImprovementCounter("my_accuracy", MonitorMode.Auto, 0).IncreaseIsBetter);
    }

    [Fact]
    public void AutoMode_ReusedOnAnotherModel_FollowsThatModelsMetric()
    {
        var (x, y) = Classification(32, 8, 3, seed: 34);
        var rising = DenseModel(seed: 8);
        rising.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new ScoreMetric("score", MetricDirection.Up));
        var falling = DenseModel(seed: 8);
        falling.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new ScoreMetric("score", MetricDirection.Down));
        var counter = new ImprovementCounter("score", MonitorMode.Auto, 0);

        rising.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, callbacks: [counter]);
        Assert.True(counter.IncreaseIsBetter);
        falling.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, callbacks: [counter]);
        Assert.False(counter.IncreaseIsBetter);
    }

    [Fact]
    public void IsImprovement_NeedsMoreThanMinDelta()
    {
        var counter = new ImprovementCounter("loss", MonitorMode.Auto, 0.1);
        double[] values = [1.0, 0.95, 0.85, 0.8, 0.7];
        for (int e = 0; e < values.Length; e++)
        {
            counter.OnEpochEnd(e, new Dictionary<string, double> { ["loss"] = values[e] });
        }

        // 1.0 (first), 0.95 not by > 0.1, 0.85 by 0.15, 0.8 not, 0.7 by exactly 0.15 from 0.85.
        Assert.Equal([0, 2, 4], counter.ImprovedEpochs);
    }

    [Theory]
    [InlineData("loss", MonitorMode.Auto)]
    [InlineData("accuracy", MonitorMode.Max)]
    public void IsImprovement_NaNNeverImproves(string monitor, MonitorMode mode)
    {
        var counter = new ImprovementCounter(monitor, mode, 0);
        double[] values = [double.NaN, 0.5, double.NaN, 0.5];
        for (int e = 0; e < values.Length; e++)
        {
            counter.OnEpochEnd(e, new Dictionary<string, double> { [monitor] = values[e] });
        }

        Assert.Equal([1], counter.ImprovedEpochs);
    }

    [Fact]
    public void ReadMonitor_MissingQuantity_NamesTheCallbackAndListsTheLogs()
    {
        var counter = new ImprovementCounter("val_auc", MonitorMode.Auto, 0);
        var ex = Assert.Throws<InvalidOperationException>(() => counter.OnEpochEnd(0, new Dictionary<string, double> { ["loss"] = 1 }));
        Assert.Contains("ImprovementCounter monitors 'val_auc'", ex.Message);
        Assert.Contains("Available: loss", ex.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructor_BadMinDelta_Throws(double minDelta) =>
        Assert.Equal("minDelta", Assert.Throws<ArgumentOutOfRangeException>(() => new ImprovementCounter("loss", MonitorMode.Auto, minDelta)).ParamName);

    [Fact]
    public void BuiltInCallbacks_ShareTheBase()
    {
        Assert.IsAssignableFrom<MonitorCallback>(new EarlyStopping());
        Assert.IsAssignableFrom<MonitorCallback>(new ReduceLROnPlateau());
        Assert.IsAssignableFrom<MonitorCallback>(new ModelCheckpoint("m.safetensors"));
    }

    [Fact]
    public void LearningRate_LoggedAfterReduceLROnPlateauAndLearningRateScheduler_AsKeras()
    {
        var (x, y) = Classification(32, 8, 3, seed: 31);
        var scheduled = DenseModel(seed: 5, new Sgd(0.1f));
        var csv = Path.Combine(Path.GetTempPath(), $"nn-lr-{Guid.NewGuid():N}.csv");
        try
        {
            History history = scheduled.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0,
                callbacks: [new LearningRateScheduler((epoch, rate) => 0.1 / (epoch + 1)), new CsvLogger(csv)]);
            Assert.Equal([(double)0.1f, (double)(float)(0.1 / 2), (double)(float)(0.1 / 3)], history["learning_rate"]);
            string[] lines = File.ReadAllLines(csv);

            // Keras' CSVLogger writes sorted(logs.keys()): learning_rate comes before loss.
            Assert.Equal("epoch," + string.Join(",", history.Keys.Order(StringComparer.Ordinal)), lines[0]);
            int column = Array.IndexOf(lines[0].Split(','), "learning_rate");
            Assert.True(column < Array.IndexOf(lines[0].Split(','), "loss"));
            Assert.Equal(((double)(float)(0.1 / 3)).ToString("R", System.Globalization.CultureInfo.InvariantCulture), lines[3].Split(',')[column]);
        }
        finally
        {
            File.Delete(csv);
        }

        History plain = DenseModel(seed: 5).Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        Assert.False(plain.Contains("learning_rate"), "Keras logs the rate only through these callbacks");

        History reduced = DenseModel(seed: 5, new Sgd(0.1f)).Fit(x, y, epochs: 3, batchSize: 16, verbose: 0,
            callbacks: [new ReduceLROnPlateau("loss", factor: 0.5, patience: 0, minDelta: 1e9)]);
        // The first epoch always improves on nothing; the second cannot beat it by 1e9, so the rate halves after it.
        // Keras logs the rate each epoch used, read before the callback lowers it.
        Assert.Equal([(double)0.1f, (double)0.1f, (double)0.05f], reduced["learning_rate"]);
    }

    [Fact]
    public void Fit_MonitoringAKeyTheLogsWillNotHold_ThrowsBeforeTheFirstStep()
    {
        var (x, y) = Classification(32, 8, 3, seed: 32);
        var model = DenseModel(seed: 6);
        float[] before = model.Parameters[0].Value.ToArray();

        // No validation data: val_loss will never be logged (Keras only warns, after every epoch).
        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, callbacks: [new EarlyStopping("val_loss")]));
        Assert.Contains("EarlyStopping monitors 'val_loss', which will not be in the epoch logs", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, callbacks: [new ReduceLROnPlateau("val_los")], validationData: (x, y)));
        Assert.Equal(before, model.Parameters[0].Value.ToArray());

        // learning_rate is in the logs for the callbacks after the one that writes it.
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, callbacks: [new ReduceLROnPlateau("loss"), new EarlyStopping("learning_rate", mode: MonitorMode.Min)]);
        Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, callbacks: [new EarlyStopping("learning_rate", mode: MonitorMode.Min), new ReduceLROnPlateau("loss")]));
    }
}
