using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using Xunit;

namespace NeuralNet.Tests;

// Parameter.Trainable's setter, as Keras' variable.trainable: a frozen weight gets nothing from any optimizer.
public class ParameterTrainableTests
{
    private static readonly Tensor s_x = Tensor.RandomUniform(new TensorShape(16, 4), seed: 1);
    private static readonly Tensor s_y = Tensor.RandomUniform(new TensorShape(16, 2), seed: 2);

    private static (Sequential Model, Dense First, Dense Second) TwoDense(Optimizer optimizer)
    {
        var first = new Dense(3, ActivationFunction.Tanh, biasInitializer: new NeuralNet.Initializers.Constant(0.5f), name: "first");
        var second = new Dense(2, biasRegularizer: new L2(0.1), name: "second");
        var model = new Sequential([new InputLayer(4), first, second], seed: 7);
        model.Compile(optimizer, new MeanSquaredError());
        return (model, first, second);
    }

    [Theory]
    [InlineData("sgd_momentum")]
    [InlineData("adamw")]
    [InlineData("adam_ema")]
    public void Fit_FrozenBias_LeftAsItWasWithItsSlots(string optimizerName)
    {
        Optimizer optimizer = optimizerName switch
        {
            "sgd_momentum" => new Sgd(0.1, momentum: 0.9),
            "adamw" => new AdamW(0.01, weightDecay: 0.5),
            _ => new Adam(0.01) { UseEma = true },
        };
        (Sequential model, Dense first, Dense second) = TwoDense(optimizer);
        model.Fit(s_x, s_y, epochs: 1, batchSize: 8, verbose: 0, shuffle: false);
        float[] slotsBefore = [.. optimizer.GetState(second.Bias!).SelectMany(t => t.ToArray())];
        float[] biasBefore = second.Bias!.Value.ToArray();
        float[] kernelBefore = second.Kernel.Value.ToArray();

        second.Bias!.Trainable = false;
        model.Fit(s_x, s_y, epochs: 2, batchSize: 8, verbose: 0, shuffle: false);

        // Keras' optimizer steps model.trainable_variables only: no update, no weight decay, no slot moves.
        Assert.Equal(biasBefore, second.Bias.Value.ToArray());
        Assert.Equal(slotsBefore, optimizer.GetState(second.Bias).SelectMany(t => t.ToArray()).ToArray());
        Assert.NotEqual(kernelBefore, second.Kernel.Value.ToArray());
        Assert.True(first.Bias!.Trainable);
        Assert.True(second.Trainable);
    }

    [Fact]
    public void Trainable_FrozenWeight_CountedAsNonTrainableAndItsPenaltyLeavesTheLoss()
    {
        (Sequential model, _, Dense second) = TwoDense(new Sgd());
        long trainable = model.TrainableParameterCount;
        second.Bias!.Value.AsSpan().Fill(3f);
        double withPenalty = model.TestOnBatch(s_x, s_y)["loss"];

        second.Bias.Trainable = false;

        Assert.Equal(trainable - 2, model.TrainableParameterCount);
        Assert.Equal(6, second.TrainableParameterCount);
        Assert.Contains(" Non-trainable params: 2 (8.00 B)\n", model.Summary(), StringComparison.Ordinal);
        model.ResetMetrics();
        double without = model.TestOnBatch(s_x, s_y)["loss"];
        // L2(0.1) on a bias of two 3s: 0.1 * 18 = 1.8, which a frozen weight no longer adds (as Keras' losses of trainable weights).
        Assert.Equal(withPenalty - 1.8, without, 4);
    }

    [Fact]
    public void Trainable_LayerFlag_SetsEveryWeightAsKerasSetterDoes()
    {
        (_, Dense first, _) = TwoDense(new Sgd());
        first.Kernel.Trainable = false;
        Assert.False(first.Kernel.Trainable);
        Assert.True(first.Bias!.Trainable);

        first.Trainable = false;
        first.Trainable = true;

        Assert.True(first.Kernel.Trainable);
        Assert.True(first.Bias.Trainable);
    }

    [Fact]
    public void Trainable_UnfrozenBetweenSteps_PlansTheBackwardPassAgain()
    {
        (Sequential model, Dense first, _) = TwoDense(new Sgd(0.1));
        // With both of its weights frozen the first layer has nothing to train: its backward pass is not run.
        first.Kernel.Trainable = false;
        first.Bias!.Trainable = false;
        float[] kernel = first.Kernel.Value.ToArray();
        model.TrainOnBatch(s_x, s_y);
        Assert.Equal(kernel, first.Kernel.Value.ToArray());

        first.Kernel.Trainable = true;
        model.TrainOnBatch(s_x, s_y);

        Assert.NotEqual(kernel, first.Kernel.Value.ToArray());
        Assert.False(first.Bias.Trainable);
        Assert.Equal(0.5f, first.Bias.Value[0]);
    }

    [Fact]
    public void Trainable_SameSeedFrozenWeight_SameBits()
    {
        float[] Run()
        {
            (Sequential model, Dense first, _) = TwoDense(new Adam(0.01));
            first.Kernel.Trainable = false;
            model.Fit(s_x, s_y, epochs: 2, batchSize: 4, verbose: 0, seed: 3);
            return [.. model.GetWeights().SelectMany(t => t.ToArray())];
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Trainable_MovingStatisticMadeTrainable_ThrowsNamingIt()
    {
        var norm = new BatchNormalization(name: "bn");
        _ = new Sequential([new InputLayer(3), norm]);
        norm.MovingMean.Trainable = false;
        var e = Assert.Throws<InvalidOperationException>(() => norm.MovingMean.Trainable = true);
        Assert.Contains("Parameter 'moving_mean' (3,) of BatchNormalization 'bn' is not a trained weight", e.Message, StringComparison.Ordinal);
        Assert.False(norm.MovingMean.Trainable);
    }

    [Fact]
    public void Trainable_WeightOfFrozenLayerMadeTrainable_ThrowsNamingTheLayer()
    {
        (_, Dense first, _) = TwoDense(new Sgd());
        first.Trainable = false;
        var e = Assert.Throws<InvalidOperationException>(() => first.Kernel.Trainable = true);
        Assert.Contains("Parameter 'kernel' (4, 3) belongs to Dense 'first', which is frozen", e.Message, StringComparison.Ordinal);
        Assert.False(first.Kernel.Trainable);
    }
}
