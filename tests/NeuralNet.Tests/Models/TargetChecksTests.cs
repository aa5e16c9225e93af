using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

/// <summary>Targets a new user gets wrong fail before training with a message that says what to do (issue #21).</summary>
public class TargetChecksTests
{
    private static Sequential Classifier(Loss loss)
    {
        var model = new Sequential([new InputLayer(4), new Dense(3, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Sgd(), loss);
        return model;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void Fit_IntegerLabelsWithCategoricalCrossEntropy_PointsToSparseCategoricalCrossEntropy(int labelRank)
    {
        Sequential model = Classifier(new CategoricalCrossEntropy());
        Tensor x = Tensor.RandomNormal(new TensorShape(6, 4), 1);
        Tensor labels = labelRank == 1 ? new Tensor(6, 1) : new Tensor(6);

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, labels, verbose: 0));

        Assert.Contains("look like integer class labels: use SparseCategoricalCrossEntropy, or one-hot encode them", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_BinaryCrossEntropyTargetsOutsideZeroOne_ThrowsNamingTheSampleBeforeTraining()
    {
        var model = new Sequential([new InputLayer(4), new Dense(1, ActivationFunction.Sigmoid)], seed: 1);
        model.Compile(new Sgd(), new BinaryCrossEntropy());
        Tensor x = Tensor.RandomNormal(new TensorShape(6, 4), 1);
        var y = new Tensor(6, 1);
        y[3, 0] = 7f;
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0));

        Assert.Contains("targets must be in [0, 1], but sample 3 (element 0) is 7", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
        Assert.Throws<ArgumentException>(() => model.Evaluate(x, y, verbose: 0));
    }

    [Fact]
    public void Fit_ASparseLabelOutOfRangeInALaterBatch_ThrowsNamingTheSampleBeforeAnyStep()
    {
        Sequential model = Classifier(new SparseCategoricalCrossEntropy());
        Tensor x = Tensor.RandomNormal(new TensorShape(20, 4), 1);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 20).Select(i => i == 17 ? 3f : i % 3)], 20);
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, y, batchSize: 4, shuffle: false, verbose: 0));

        Assert.Contains("target 3 of sample 17 is not a class index in [0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void Fit_AucTargetThatIsNotZeroOrOne_ThrowsBeforeAnyStepAndInValidationDataBeforeTraining()
    {
        var model = new Sequential([new InputLayer(4), new Dense(1, ActivationFunction.Sigmoid)], seed: 1);
        model.Compile(new Sgd(), new BinaryCrossEntropy(), new NeuralNet.Training.Auc());
        Tensor x = Tensor.RandomNormal(new TensorShape(20, 4), 1);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 20).Select(i => i == 19 ? 0.5f : i % 2)], 20, 1);
        Tensor good = Tensor.FromArray([.. Enumerable.Range(0, 20).Select(i => (float)(i % 2))], 20, 1);
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, y, batchSize: 4, shuffle: false, verbose: 0));
        Assert.Contains("auc: targets must be 0 or 1, but element 19 is 0.5", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Fit(x, good, batchSize: 4, verbose: 0, validationData: (x, y)));

        Assert.Equal(before, model.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void Fit_MeanIoUSparseTargetOutOfRange_ThrowsNamingTheSampleBeforeAnyStep()
    {
        var model = new Sequential([new InputLayer(4), new Dense(1)], seed: 1);
        model.Compile(new Sgd(), new MeanSquaredError(), new NeuralNet.Training.MeanIoU(numClasses: 3));
        Tensor x = Tensor.RandomNormal(new TensorShape(12, 4), 1);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 12).Select(i => i == 10 ? 5f : i % 3)], 12, 1);
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, y, batchSize: 4, shuffle: false, verbose: 0));

        Assert.Contains("target 5 of sample 10 is not a class index in [0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void Fit_OneValuePerSampleForAOneUnitOutput_TrainsAsColumnTargets()
    {
        Sequential Model()
        {
            var model = new Sequential([new InputLayer(3), new Dense(1)], seed: 2);
            model.Compile(new Adam(0.01f), new MeanSquaredError());
            return model;
        }

        Tensor x = Tensor.RandomNormal(new TensorShape(16, 3), 3);
        Tensor y = Tensor.RandomNormal(new TensorShape(16), 4);
        Sequential flat = Model(), column = Model();
        History a = flat.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        History b = column.Fit(x, y.Reshape(16, 1), epochs: 2, batchSize: 4, verbose: 0);

        Assert.Equal(b["loss"], a["loss"]);
        Assert.Equal(column.Parameters[0].Value.ToArray(), flat.Parameters[0].Value.ToArray());
        Assert.Equal(new TensorShape(16), y.Shape);
    }

    [Fact]
    public void Predict_NaNInput_IsRejectedAsFitAndEvaluateRejectIt()
    {
        Sequential model = Classifier(new CategoricalCrossEntropy());
        Tensor x = Tensor.RandomNormal(new TensorShape(5, 4), 1);
        x[2, 1] = float.NaN;

        var ex = Assert.Throws<ArgumentException>(() => model.Predict(x));

        Assert.Contains("contains NaN at sample 2 (element 1)", ex.Message, StringComparison.Ordinal);
    }
}
