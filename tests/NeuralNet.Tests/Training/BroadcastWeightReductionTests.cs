using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Training;

// Keras 3's mean_with_sample_weight divides by ops.sum(sample_weight) in reduce_values, the weights as given: weights that
// broadcast over the loss values ((batch, 1) over (batch, steps)) are summed without broadcasting; a mask (apply_mask)
// multiplies them out to the values' shape first.
public class BroadcastWeightReductionTests
{
    // losses_test.py's timestep data: y_true and y_pred (2, 3, 1), so mean_squared_error's values are (2, 3):
    // squared errors (9, 1, 100) and (169, 9, 9).
    private static readonly float[] Truth = [1, 9, 2, -5, -2, 6], Predicted = [4, 8, 12, 8, 1, 3];

    [Fact]
    public void Evaluate_OneWeightPerSampleOverSteps_DividesByTheWeightsAsGiven()
    {
        // Keras: values * sample_weight (2, 1) -> 3·110 + 5·187 = 1265; mean_with_sample_weight: 1265 / (3 + 5) = 158.125;
        // sum_over_batch_size: 1265 / 6; sum: 1265.
        Assert.Equal(158.125, Loss(LossReduction.MeanWithSampleWeight, Tensor.FromArray([3f, 5f], 2, 1)), 4);
        Assert.Equal(1265.0 / 6, Loss(LossReduction.SumOverBatchSize, Tensor.FromArray([3f, 5f], 2, 1)), 3);
        Assert.Equal(1265.0, Loss(LossReduction.Sum, Tensor.FromArray([3f, 5f], 2, 1)), 2);

        // (2) weights are taken as (2, 1), as every other path here does.
        Assert.Equal(158.125, Loss(LossReduction.MeanWithSampleWeight, Tensor.FromArray([3f, 5f], 2)), 4);

        // The same weights written out per step, (2, 3), sum to 24: Keras divides by that.
        Assert.Equal(1265.0 / 24, Loss(LossReduction.MeanWithSampleWeight, Tensor.FromArray([3f, 3f, 3f, 5f, 5f, 5f], 2, 3)), 4);
    }

    [Fact]
    public void Evaluate_EntryWeightsWithAnAxisOfOne_DivideByTheWeightsAsGiven()
    {
        // Output (4, 2, 3, 2): mean_squared_error gives values (4, 2, 3); weights (4, 1, 3) broadcast over the second axis.
        Tensor x = GradientChecking.TestData.Normal(1, 1f, 4, 2, 3, 2), y = GradientChecking.TestData.Normal(2, 1f, 4, 2, 3, 2);
        var random = new Random(3);
        Tensor w = Tensor.FromArray([.. Enumerable.Range(0, 12).Select(_ => (float)random.NextDouble())], 4, 1, 3);
        double weighted = 0, given = 0, broadcast = 0;
        for (int s = 0; s < 4; s++)
        {
            for (int c = 0; c < 3; c++)
            {
                given += w[s, 0, c];
                for (int h = 0; h < 2; h++)
                {
                    double se = (Math.Pow(x[s, h, c, 0] - y[s, h, c, 0], 2) + Math.Pow(x[s, h, c, 1] - y[s, h, c, 1], 2)) / 2;
                    weighted += w[s, 0, c] * se;
                    broadcast += w[s, 0, c];
                }
            }
        }

        var model = new Sequential([new InputLayer(2, 3, 2), new Identity()]);
        model.Compile(new Sgd(), new MeanSquaredError(LossReduction.MeanWithSampleWeight));
        double loss = model.Evaluate(x, y, batchSize: 4, verbose: 0, sampleWeight: w)["loss"];

        Assert.Equal(weighted / given, loss, 5);
        Assert.NotEqual(weighted / broadcast, loss, 3);
    }

    [Fact]
    public void TrainOnBatch_BroadcastWeightsWithMeanWithSampleWeight_StepIsTheNumericalGradient()
    {
        Tensor x = GradientChecking.TestData.Normal(50, 1f, 6, 3, 4);
        Tensor y = GradientChecking.TestData.Normal(51, 1f, 6, 3, 2);
        Tensor w = Tensor.FromArray([0.5f, 2f, 0f, 1f, 3f, 0.25f], 6, 1);
        Sequential Model()
        {
            var model = new Sequential([new InputLayer(3, 4), new Dense(2, NeuralNet.Activations.ActivationFunction.Tanh)], seed: 5);
            model.Compile(new Sgd(1f), new MeanSquaredError(LossReduction.MeanWithSampleWeight));
            return model;
        }

        Losses.ReductionTests.AssertStepIsNumericalGradient(Model, x, y, w);
    }

    private static double Loss(LossReduction reduction, Tensor weights)
    {
        var model = new Sequential([new InputLayer(3, 1), new Identity()]);
        model.Compile(new Sgd(), new MeanSquaredError(reduction));
        return model.Evaluate(Tensor.FromArray(Predicted, 2, 3, 1), Tensor.FromArray(Truth, 2, 3, 1), batchSize: 2, verbose: 0, sampleWeight: weights)["loss"];
    }
}
