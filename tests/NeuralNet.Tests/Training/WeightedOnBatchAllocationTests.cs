using System.Runtime.CompilerServices;
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

// A custom loop's TrainOnBatch and TestOnBatch with sample weights, once warm: their checks of the data and the weights
// (shapes, values, the losses' and metrics' ability to take weights) and the step allocate nothing, whatever form the
// data and the weights take; Fit and Evaluate keep no reference to the caller's weights once they return.
public class WeightedOnBatchAllocationTests
{
    [Fact]
    public void TrainOnBatch_WithSampleWeights_AllocatesNothingOnceWarm()
    {
        Tensor x = GradientChecking.TestData.Normal(1, 1f, 32, 6);
        Tensor y = GradientChecking.TestData.OneHot(GradientChecking.TestData.Labels(2, 32, 3), 3);
        var model = new Sequential([new InputLayer(6), new Dense(8, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: 3);
        model.Compile(new Adam(), new CategoricalCrossEntropy(), [new Accuracy()], [new Accuracy(), new Auc()]);

        // The caller's conversions to ModelData are made once, as a loop over prepared batches makes them.
        ModelData xb = x, yb = y;
        ModelData? wb = OutputSampleWeightTests.Weights(32, seed: 4);
        model.TrainOnBatch(xb, yb, wb);
        model.TrainOnBatch(xb, yb, wb);
        long steps = model.Optimizer!.Iterations;

        AllocationCheck.AssertNone(() =>
        {
            for (int step = 0; step < 4; step++)
            {
                model.TrainOnBatch(xb, yb, wb);
            }
        });

        Assert.True(model.Optimizer.Iterations >= steps + 4);
    }

    private const int Samples = 12;

    // Two inputs (x, z) and two outputs (a: mse, b: categorical cross-entropy), weighted metrics on both.
    private static Functional TwoByTwo()
    {
        var x = new Input(5, "x");
        var z = new Input(3, "z");
        SymbolicTensor hidden = new Dense(4, ActivationFunction.Tanh, name: "hidden").Call(new Concatenate(name: "join").Call(x, z));
        SymbolicTensor a = new Dense(2, name: "a").Call(hidden);
        SymbolicTensor b = new Dense(3, ActivationFunction.Softmax, name: "b").Call(hidden);
        var model = new Functional([x, z], [a, b], seed: 7);
        model.Compile(new Sgd(0.1f), [new MeanSquaredError(), new CategoricalCrossEntropy()], lossWeights: [0.5f, 2f],
            weightedMetrics: [[new MeanSquaredErrorMetric()], [new Accuracy()]]);
        return model;
    }

    private static (Tensor X, Tensor Z, Tensor Ya, Tensor Yb) TwoByTwoData() =>
        (GradientChecking.TestData.Normal(1, 1f, Samples, 5), GradientChecking.TestData.Normal(2, 1f, Samples, 3),
         GradientChecking.TestData.Normal(3, 1f, Samples, 2),
         GradientChecking.TestData.OneHot(GradientChecking.TestData.Labels(4, Samples, 3), 3));

    // Two warm calls of each, then four of each measured.
    private static void AssertWarmCallsAllocateNothing(Model model, ModelData x, ModelData y, ModelData? w)
    {
        for (int call = 0; call < 2; call++)
        {
            model.TrainOnBatch(x, y, w);
            model.TestOnBatch(x, y, w);
        }

        long steps = model.Optimizer!.Iterations;
        AllocationCheck.AssertNone(() =>
        {
            for (int call = 0; call < 4; call++)
            {
                model.TrainOnBatch(x, y, w);
                model.TestOnBatch(x, y, w);
            }
        });

        Assert.True(model.Optimizer.Iterations >= steps + 4);
    }

    [Fact]
    public void OnBatch_WeightsByOutputAsAList_AllocateNothingOnceWarm()
    {
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        AssertWarmCallsAllocateNothing(TwoByTwo(), new[] { x, z }, new[] { ya, yb },
            new[] { OutputSampleWeightTests.Weights(Samples, 5), OutputSampleWeightTests.Weights(Samples, 6) });
    }

    [Fact]
    public void OnBatch_WeightsByOutputNameForOneOutput_AllocateNothingOnceWarm()
    {
        // Output b is left out: it gets the model's stand-in for no weights.
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        AssertWarmCallsAllocateNothing(TwoByTwo(), new[] { x, z }, new[] { ya, yb },
            new Dictionary<string, Tensor> { ["a"] = OutputSampleWeightTests.Weights(Samples, 5) });
    }

    [Fact]
    public void OnBatch_SeveralInputsAndOutputsWithOneWeightPerSample_AllocateNothingOnceWarm()
    {
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        AssertWarmCallsAllocateNothing(TwoByTwo(), new[] { x, z }, new[] { ya, yb }, OutputSampleWeightTests.Weights(Samples, 5));
    }

    [Fact]
    public void OnBatch_ColumnWeights_AllocateNothingOnceWarmAndEqualTheVector()
    {
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        Tensor vector = OutputSampleWeightTests.Weights(Samples, 5);
        Tensor column = vector.Reshape(Samples, 1);
        AssertWarmCallsAllocateNothing(TwoByTwo(), new[] { x, z }, new[] { ya, yb }, column);

        // (samples, 1) weights are one weight per sample: the same bits as (samples).
        Functional byColumn = TwoByTwo(), byVector = TwoByTwo();
        double columnLoss = byColumn.TrainOnBatch(new[] { x, z }, new[] { ya, yb }, column)["loss"];
        double vectorLoss = byVector.TrainOnBatch(new[] { x, z }, new[] { ya, yb }, vector)["loss"];
        Assert.Equal(vectorLoss, columnLoss);
        Assert.Equal(byVector.GetWeights().SelectMany(t => t.ToArray()), byColumn.GetWeights().SelectMany(t => t.ToArray()));
    }

    [Fact]
    public void OnBatch_DataSourceBatchByName_AllocatesNothingOnceWarm()
    {
        // A DataBatch as a data source gives it: inputs, targets and weights all keyed by name.
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        var batch = new DataBatch(
            new Dictionary<string, Tensor> { ["z"] = z, ["x"] = x },
            new Dictionary<string, Tensor> { ["b"] = yb, ["a"] = ya },
            new Dictionary<string, Tensor> { ["b"] = OutputSampleWeightTests.Weights(Samples, 6).Reshape(Samples, 1), ["a"] = OutputSampleWeightTests.Weights(Samples, 5) });
        AssertWarmCallsAllocateNothing(TwoByTwo(), batch.X, batch.Y, batch.SampleWeight);
    }

    [Fact]
    public void OnBatch_DataByNameAndByOrder_GiveTheSameBits()
    {
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        Tensor wa = OutputSampleWeightTests.Weights(Samples, 5), wb = OutputSampleWeightTests.Weights(Samples, 6);
        Functional byName = TwoByTwo(), byOrder = TwoByTwo();
        for (int step = 0; step < 3; step++)
        {
            double named = byName.TrainOnBatch(new Dictionary<string, Tensor> { ["z"] = z, ["x"] = x }, new Dictionary<string, Tensor> { ["b"] = yb, ["a"] = ya },
                new Dictionary<string, Tensor> { ["b"] = wb, ["a"] = wa })["loss"];
            double ordered = byOrder.TrainOnBatch(new[] { x, z }, new[] { ya, yb }, new[] { wa, wb })["loss"];
            Assert.Equal(ordered, named);
        }

        Assert.Equal(byOrder.GetWeights().SelectMany(t => t.ToArray()), byName.GetWeights().SelectMany(t => t.ToArray()));
    }

    [Fact]
    public void OnBatch_AWeightForAnOutputThatIsNotThere_IsRefusedAndTheNextCallWorks()
    {
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        Functional model = TwoByTwo();
        var e = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(new[] { x, z }, new[] { ya, yb },
            new Dictionary<string, Tensor> { ["a"] = OutputSampleWeightTests.Weights(Samples, 5), ["c"] = OutputSampleWeightTests.Weights(Samples, 6) }));
        Assert.Contains("'c', which is not an output of model", e.Message, StringComparison.Ordinal);
        var negative = OutputSampleWeightTests.Weights(Samples, 5);
        negative.AsSpan()[3] = -1f;
        e = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(new[] { x, z }, new[] { ya, yb }, new Dictionary<string, Tensor> { ["b"] = negative }));
        Assert.StartsWith("sampleWeight['b'][3] is -1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(new[] { x, z }, new[] { ya, yb }, new[] { negative, negative }));
        Assert.StartsWith("sampleWeight[0][3] is -1", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);

        model.TrainOnBatch(new[] { x, z }, new[] { ya, yb }, new Dictionary<string, Tensor> { ["a"] = OutputSampleWeightTests.Weights(Samples, 5) });
        Assert.Equal(1, model.Optimizer.Iterations);
    }

    [Fact]
    public void OnBatch_NonFiniteSecondInput_IsNamedAsBefore()
    {
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        Tensor bad = z.Clone();
        bad.AsSpan()[4] = float.NaN;
        Functional model = TwoByTwo();
        var e = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(new[] { x, bad }, new[] { ya, yb }));
        Assert.StartsWith("x[1] contains NaN at sample 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(new Dictionary<string, Tensor> { ["x"] = x, ["z"] = bad }, new[] { ya, yb }));
        Assert.StartsWith("x['z'] contains NaN at sample 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FitAndEvaluate_KeepNoReferenceToTheWeightsOnceOver()
    {
        (Tensor x, Tensor z, Tensor ya, Tensor yb) = TwoByTwoData();
        Functional model = TwoByTwo();
        WeakReference fitted = FitWithWeights(model, x, z, ya, yb);
        WeakReference evaluated = EvaluateWithWeights(model, x, z, ya, yb);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(fitted.IsAlive, "Fit kept the sample weights referenced.");
        Assert.False(evaluated.IsAlive, "Evaluate kept the sample weights referenced.");
    }

    // The weights are made and dropped inside: only the model could keep them alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference FitWithWeights(Functional model, Tensor x, Tensor z, Tensor ya, Tensor yb)
    {
        Tensor w = OutputSampleWeightTests.Weights(Samples, 8);
        model.Fit(new[] { x, z }, new[] { ya, yb }, epochs: 1, batchSize: 4, verbose: 0, sampleWeight: new Dictionary<string, Tensor> { ["a"] = w });
        return new WeakReference(w);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference EvaluateWithWeights(Functional model, Tensor x, Tensor z, Tensor ya, Tensor yb)
    {
        Tensor w = OutputSampleWeightTests.Weights(Samples, 9);
        model.Evaluate(new[] { x, z }, new[] { ya, yb }, batchSize: 4, verbose: 0, sampleWeight: w);
        return new WeakReference(w);
    }
}
