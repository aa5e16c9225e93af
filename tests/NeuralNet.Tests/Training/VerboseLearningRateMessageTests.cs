using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>
/// The verbose lines of the callbacks that set the learning rate print what Keras prints: ReduceLROnPlateau its float64
/// <c>new_lr = max(old_lr · factor, min_lr)</c> from the float32 rate, LearningRateScheduler the value the schedule
/// returned (not the float32 rate widened, 0.05000000074505806).
/// </summary>
public class VerboseLearningRateMessageTests
{
    private static Sequential Compiled()
    {
        var model = new Sequential([new InputLayer(1), new Dense(1)]);
        model.Compile(new Sgd(0.1), new MeanSquaredError());
        return model;
    }

    [Fact]
    public void ReduceLROnPlateau_Verbose_PrintsKerasNewLrInFloat64()
    {
        // reduce_lr_on_plateau.py: old_lr = float(learning_rate) = 0.10000000149011612 (the float32 0.1);
        // new_lr = old_lr * 0.1 = 0.010000000149011612, printed before it is assigned to the float32 variable.
        Sequential model = Compiled();
        var output = new StringWriter();
        var callback = new ReduceLROnPlateau(monitor: "loss", factor: 0.1, patience: 1, verbose: 1, output: output) { Model = model };
        callback.OnTrainBegin(new Dictionary<string, double>());
        callback.OnEpochEnd(0, new Dictionary<string, double> { ["loss"] = 1.0 });
        callback.OnEpochEnd(1, new Dictionary<string, double> { ["loss"] = 1.0 });
        Assert.Equal("Epoch 2: ReduceLROnPlateau reducing learning rate to 0.010000000149011612.", output.ToString().Trim());
        Assert.Equal((double)0.010000000149011612f, model.Optimizer!.LearningRate); // the rate kept is float32
    }

    [Fact]
    public void LearningRateScheduler_Verbose_PrintsTheScheduleValue()
    {
        Sequential model = Compiled();
        var output = new StringWriter();
        var callback = new LearningRateScheduler((epoch, rate) => 0.05, verbose: 1, output: output) { Model = model };
        callback.OnEpochBegin(0, new Dictionary<string, double>());
        Assert.Equal("Epoch 1: LearningRateScheduler setting learning rate to 0.05.", output.ToString().Trim());
        Assert.Equal(0.05000000074505806, model.Optimizer!.LearningRate);
    }
}
