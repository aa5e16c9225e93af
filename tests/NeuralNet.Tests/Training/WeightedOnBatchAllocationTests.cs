using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

// A custom loop's TrainOnBatch with sample weights, once warm: its checks of the data and the weights (shapes, values,
// the losses' and metrics' ability to take weights) and the step allocate nothing.
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
}
