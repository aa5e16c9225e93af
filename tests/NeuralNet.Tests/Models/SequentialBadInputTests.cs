using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

public class SequentialBadInputTests
{
    private static Sequential E31(int outputUnits = 10)
    {
        var model = new Sequential([new InputLayer(784), new Dense(512), new Dense(outputUnits, ActivationFunction.Softmax)]);
        model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    private static (Tensor X, Tensor Y) Data(int samples = 8, int width = 784, int classes = 10) =>
        ModelTestData.RandomClassification(samples, width, classes, seed: 1);

    private static void AssertNoStep(Sequential model, IReadOnlyList<Tensor> before, Action action, Type exceptionType, string messagePart)
    {
        Exception ex = Assert.Throws(exceptionType, action);
        Assert.Contains(messagePart, ex.Message, StringComparison.Ordinal);
        Assert.True(ModelTestData.BitIdentical(before, model.GetWeights()), "weights changed before the error");
        Assert.Equal(0, model.Optimizer?.Iterations ?? 0);
    }

    [Fact]
    public void Fit_BeforeCompile_Throws()
    {
        var model = new Sequential([new InputLayer(784), new Dense(10)]);
        (Tensor x, Tensor y) = Data();
        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, verbose: 0));
        Assert.Contains("Fit was called before Compile", ex.Message, StringComparison.Ordinal);
        var ex2 = Assert.Throws<InvalidOperationException>(() => model.Evaluate(x, y, verbose: 0));
        Assert.Contains("Evaluate was called before Compile", ex2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_InputWidthMismatch_ThrowsNamingLayerAndShapes()
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data(width: 783);
        AssertNoStep(model, model.GetWeights(), () => model.Fit(x, y, verbose: 0), typeof(ArgumentException),
            "Dense 'dense' expects input (None, 784) but got (None, 783).");
        Assert.Throws<ArgumentException>(() => model.Predict(x));
    }

    [Fact]
    public void Fit_E33OutputUnitsDoNotMatchTargets_ThrowsNamingBothShapes()
    {
        Sequential model = E31(outputUnits: 5);
        (Tensor x, Tensor y) = Data();
        AssertNoStep(model, model.GetWeights(), () => model.Fit(x, y, verbose: 0), typeof(ArgumentException),
            "output (None, 5) does not match targets (None, 10)");
    }

    [Fact]
    public void Fit_SampleCountsDiffer_Throws()
    {
        Sequential model = E31();
        (Tensor x, _) = Data(samples: 8);
        (_, Tensor y) = Data(samples: 7);
        AssertNoStep(model, model.GetWeights(), () => model.Fit(x, y, verbose: 0), typeof(ArgumentException), "x has 8 samples");
    }

    [Theory]
    [InlineData(float.NaN, "NaN at sample 3")]
    [InlineData(float.PositiveInfinity, "infinity at sample 3")]
    [InlineData(float.NegativeInfinity, "infinity at sample 3")]
    public void Fit_NonFiniteInput_ThrowsNamingTheSample(float bad, string message)
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data();
        x[3, 100] = bad;
        AssertNoStep(model, model.GetWeights(), () => model.Fit(x, y, verbose: 0), typeof(ArgumentException), message);
    }

    [Fact]
    public void Fit_NaNTarget_Throws()
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data();
        y[5, 2] = float.NaN;
        AssertNoStep(model, model.GetWeights(), () => model.Fit(x, y, verbose: 0), typeof(ArgumentException), "y contains NaN at sample 5");
    }

    [Fact]
    public void Fit_NaNInValidationData_Throws()
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data();
        Tensor vx = x.Clone();
        vx[0, 0] = float.NaN;
        AssertNoStep(model, model.GetWeights(), () => model.Fit(x, y, validationData: (vx, y), verbose: 0), typeof(ArgumentException), "validationData.X contains NaN");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Fit_BatchSizeBelowOne_Throws(int batchSize)
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, batchSize: batchSize, verbose: 0));
        Assert.Equal("batchSize", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Evaluate(x, y, batchSize: batchSize, verbose: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(x, batchSize: batchSize));
    }

    [Fact]
    public void Fit_NegativeEpochs_Throws()
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, epochs: -1, verbose: 0));
        Assert.Equal("epochs", ex.ParamName);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Fit_ValidationSplitOutsideUnitInterval_Throws(double split)
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, validationSplit: split, verbose: 0));
        Assert.Equal("validationSplit", ex.ParamName);
        Assert.Contains("validationSplit=", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_ValidationSplitLeavingNoTrainingOrNoValidationSample_Throws()
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data(samples: 3);

        // floor(3 * 0.1) = 0 training samples; 1 - 1e-17 is 1 in doubles, so no validation sample (Keras refuses both).
        Assert.Contains("leaves 0 for training", Assert.Throws<ArgumentException>(() => model.Fit(x, y, validationSplit: 0.9, verbose: 0)).Message, StringComparison.Ordinal);
        Assert.Contains("and 0 for validation", Assert.Throws<ArgumentException>(() => model.Fit(x, y, validationSplit: 1e-17, verbose: 0)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_OfAModelWithoutInputLayerWhoseTargetsOrInputsFailACheck_LeavesItUnbuiltForCorrectedData()
    {
        var model = new Sequential([new Dense(4, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        (Tensor x5, _) = Data(samples: 8, width: 5, classes: 3);
        (Tensor x6, Tensor y) = Data(samples: 8, width: 6, classes: 3);
        Tensor wrongTargets = new Tensor(8, 4);
        Tensor notFinite = x5.Clone();
        notFinite[2, 1] = float.NaN;

        Assert.Throws<ArgumentException>(() => model.Fit(x5, wrongTargets, verbose: 0));
        Assert.False(model.IsBuilt, "a Fit that failed its checks built the model");
        Assert.Throws<ArgumentException>(() => model.Predict(notFinite));
        Assert.False(model.IsBuilt, "a Predict that failed its checks built the model");
        Assert.Empty(model.Parameters);

        // The corrected data, of another width, builds and trains the model.
        model.Fit(x6, y, epochs: 1, verbose: 0);
        Assert.True(model.IsBuilt);
        Assert.Equal(6, model.Layers[0].InputShape[0]);
        Assert.Equal(3, model.Predict(x6).Shape[1]);
    }

    [Fact]
    public void Fit_BothValidationOptions_Throws()
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data();
        Assert.Throws<ArgumentException>(() => model.Fit(x, y, validationSplit: 0.25, validationData: (x, y), verbose: 0));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Fit_BadVerbose_Throws(int verbose)
    {
        Sequential model = E31();
        (Tensor x, Tensor y) = Data();
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, verbose: verbose));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(-0.01f)]
    public void Compile_NegativeOrNaNLearningRate_ThrowsWhenTheOptimizerIsCreated(float learningRate)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Sequential([new InputLayer(2), new Dense(1)]).Compile(new Sgd(learningRate), new MeanSquaredError()));
        Assert.Equal("learningRate", ex.ParamName);
    }

    [Fact]
    public void Compile_DuplicateMetricNames_AreSuffixedAsKerasAndAClashThrows()
    {
        // Keras' CompileMetrics.result(): a repeated name gets _1; a name still taken after that is refused.
        var model = new Sequential([new InputLayer(2), new Dense(2, ActivationFunction.Softmax)]);
        model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy(), new Accuracy());
        (Tensor x, Tensor y) = Data(width: 2, classes: 2);
        Assert.Equal(["accuracy", "accuracy_1", "loss"], model.Fit(x, y, verbose: 0).Keys.Order(StringComparer.Ordinal));
        var ex = Assert.Throws<ArgumentException>(() => model.Compile(new Adam(), new CategoricalCrossEntropy(), new CategoricalAccuracy { Name = "accuracy_1" }, new Accuracy(), new Accuracy()));
        Assert.Contains("metrics[2] (Accuracy 'accuracy') would be logged as 'accuracy_1', which metrics[0] (CategoricalAccuracy 'accuracy_1') is logged as already", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_EmptyModel_Throws()
    {
        var model = new Sequential();
        model.Compile(new Adam(), new MeanSquaredError());
        (Tensor x, Tensor y) = Data(width: 2, classes: 2);
        Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, verbose: 0));
    }

    [Fact]
    public void Fit_InputWithoutBatchAxis_Throws()
    {
        Sequential model = E31();
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(new Tensor(784), new Tensor(10), verbose: 0));
        Assert.Contains("samples", ex.Message, StringComparison.Ordinal);
    }
}
