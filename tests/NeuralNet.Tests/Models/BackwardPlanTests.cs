using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

// The executor's backward plan: made once per input-gradient choice and kept (Fit with validation data on a model that
// computes input gradients alternates between the two), made again when a layer's trainability changed, and the check
// that it is current reads one integer per step.
public class BackwardPlanTests
{
    private static readonly Tensor X = Tensor.RandomNormal(new TensorShape(12, 5), 1);
    private static readonly Tensor Y = Tensor.RandomNormal(new TensorShape(12, 2), 2);

    private static Functional Chain(long seed)
    {
        var x = new Input(new TensorShape(5), name: "x");
        SymbolicTensor h = new Dense(4, ActivationFunction.Tanh, name: "hidden").Call(x);
        var model = new Functional(x, new Dense(2, name: "out").Call(h), name: "chain", seed: seed);
        model.Compile(new Adam(), new MeanSquaredError());
        return model;
    }

    [Fact]
    public void Fit_WithValidationAndInputGradients_PlansOncePerChoiceWhateverTheEpochs()
    {
        Functional model = Chain(7);
        model.ComputesInputGradients = true;
        model.Fit(X, Y, epochs: 1, batchSize: 4, verbose: 0, validationData: (X, Y));
        int afterOneEpoch = model.BackwardPlansMade;

        model.Fit(X, Y, epochs: 5, batchSize: 4, verbose: 0, validationData: (X, Y));

        // The executor's first plan, then one for each choice at most: training steps without input gradients, the
        // validation passes with them.
        Assert.InRange(afterOneEpoch, 1, 3);
        Assert.Equal(afterOneEpoch, model.BackwardPlansMade);
    }

    [Fact]
    public void Fit_WithValidationAndInputGradients_SameBitsAsWithout()
    {
        Functional off = Chain(3), on = Chain(3);
        on.ComputesInputGradients = true;

        History offHistory = off.Fit(X, Y, epochs: 3, batchSize: 4, verbose: 0, seed: 5, validationData: (X, Y));
        History onHistory = on.Fit(X, Y, epochs: 3, batchSize: 4, verbose: 0, seed: 5, validationData: (X, Y));

        Assert.Equal(off.GetWeights().SelectMany(w => w.ToArray()), on.GetWeights().SelectMany(w => w.ToArray()));
        Assert.Equal(offHistory["val_loss"], onHistory["val_loss"]);
        Assert.Equal(offHistory["loss"], onHistory["loss"]);
    }

    [Fact]
    public void TrainingAndTestSteps_WithInputGradients_SwitchPlansWithoutAllocating()
    {
        Functional model = Chain(5);
        model.ComputesInputGradients = true;
        ModelData x = X, y = Y;
        model.TrainOnBatch(x, y);
        model.TestOnBatch(x, y);
        int plans = model.BackwardPlansMade;

        AllocationCheck.AssertNone(() =>
        {
            for (int step = 0; step < 3; step++)
            {
                model.TrainOnBatch(x, y);
                model.TestOnBatch(x, y);
            }
        });

        Assert.Equal(plans, model.BackwardPlansMade);
    }

    [Fact]
    public void Trainable_ChangedBetweenSteps_PlansAgainForBothChoices()
    {
        Functional model = Chain(9);
        model.ComputesInputGradients = true;
        model.TrainOnBatch(X, Y);
        model.ComputeGradients(X, Y);
        model.Optimizer!.Step(model.Parameters);
        int plans = model.BackwardPlansMade;

        Layer hidden = model.Layers[1];
        float[] before = hidden.GetWeights()[0].ToArray();
        hidden.Trainable = false;

        model.TrainOnBatch(X, Y);
        Assert.Equal(plans + 1, model.BackwardPlansMade);
        Assert.Equal(before, hidden.GetWeights()[0].ToArray());

        // The plan kept for input gradients was made before the change: made again, and the frozen layer still passes the
        // gradient on to the input.
        model.ComputeGradients(X, Y);
        Assert.Equal(plans + 2, model.BackwardPlansMade);
        Assert.Contains(model.InputGradients[0].ToArray(), v => v != 0f);
        Assert.All(hidden.Parameters, p => Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g)));
        model.Optimizer.Step(model.Parameters);

        hidden.Trainable = true;
        model.TrainOnBatch(X, Y);
        Assert.Equal(plans + 3, model.BackwardPlansMade);
        Assert.NotEqual(before, hidden.GetWeights()[0].ToArray());
    }

    [Fact]
    public void Trainable_OfAnotherModelsLayer_DoesNotPlanAgain()
    {
        Functional model = Chain(11), other = Chain(12);
        model.TrainOnBatch(X, Y);
        int plans = model.BackwardPlansMade;

        other.Layers[1].Trainable = false;
        model.TrainOnBatch(X, Y);

        Assert.Equal(plans, model.BackwardPlansMade);
    }

    [Fact]
    public void Fit_FreezingFromACallback_TakesEffectAtTheNextStep()
    {
        // The same run as two Fit calls with the layer frozen in between: the freeze is seen at the step after it.
        Functional fromCallback = Chain(13), inTwoCalls = Chain(13);
        Layer frozenLater = fromCallback.Layers[1];
        var freeze = new LambdaCallback(onEpochEnd: (epoch, _) =>
        {
            if (epoch == 0)
            {
                frozenLater.Trainable = false;
            }
        });

        fromCallback.Fit(X, Y, epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks: [freeze]);
        inTwoCalls.Fit(X, Y, epochs: 1, batchSize: 4, shuffle: false, verbose: 0);
        inTwoCalls.Layers[1].Trainable = false;
        inTwoCalls.Fit(X, Y, epochs: 1, batchSize: 4, shuffle: false, verbose: 0);

        Assert.Equal(inTwoCalls.GetWeights().SelectMany(w => w.ToArray()), fromCallback.GetWeights().SelectMany(w => w.ToArray()));
    }
}
