using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>The public state of an optimizer (StateSlotNames, StepCount, HasState, GetState, SetState): read, copied and checked.</summary>
public class OptimizerStateAccessTests
{
    private static readonly Tensor X = Tensor.RandomNormal(new TensorShape(6, 4), 1), Y = Tensor.RandomNormal(new TensorShape(6, 2), 2);

    [Fact]
    public void GetState_BeforeTheFirstStep_IsWhatThatStepStartsFromAndCreatesNothing()
    {
        var adagrad = new Adagrad(0.1f, initialAccumulatorValue: 0.25f) { UseEma = true, GradientAccumulationSteps = 2 };
        Sequential model = NewModel(adagrad);
        Parameter kernel = model.Parameters[0];

        IReadOnlyList<Tensor> state = adagrad.GetState(kernel);

        Assert.Equal(["accumulator", "average", "gradient_accumulator"], adagrad.StateSlotNames);
        Assert.All(state, t => Assert.Equal(kernel.Shape, t.Shape));
        Assert.All(state[0].ToArray(), v => Assert.Equal(0.25f, v));
        Assert.Equal(kernel.Value.ToArray(), state[1].ToArray());
        Assert.All(state[2].ToArray(), v => Assert.Equal(0f, v));
        Assert.False(adagrad.HasState);
        Assert.Equal(0, adagrad.StepCount);
    }

    [Fact]
    public void GetState_ReturnsCopies_ThatLaterStepsLeaveAlone()
    {
        var adam = new Adam(0.05f);
        Sequential model = NewModel(adam);
        model.TrainOnBatch(X, Y);
        Parameter kernel = model.Parameters[0];
        float[] momentum = adam.GetState(kernel)[0].ToArray();
        Tensor copy = adam.GetState(kernel)[0];

        model.TrainOnBatch(X, Y);

        Assert.Equal(momentum, copy.ToArray());
        Assert.NotEqual(momentum, adam.GetState(kernel)[0].ToArray());
        Assert.True(adam.HasState);
        Assert.Equal(2, adam.StepCount);
    }

    [Fact]
    public void SetState_FromAnotherOptimizer_ResumesTrainingBitForBit()
    {
        Optimizer Create() => new Nadam(0.02f) { UseEma = true, GradientAccumulationSteps = 2 };
        Sequential uninterrupted = NewModel(Create()), first = NewModel(Create()), second = NewModel(Create());
        for (int i = 0; i < 5; i++)
        {
            uninterrupted.TrainOnBatch(X, Y);
            first.TrainOnBatch(X, Y);
        }

        second.SetWeights(first.GetWeights());
        second.Optimizer!.SetState(first.Optimizer!.StepCount, first.Parameters.Zip(second.Parameters)
            .Select(p => new KeyValuePair<Parameter, IReadOnlyList<Tensor>>(p.Second, first.Optimizer.GetState(p.First))));
        for (int i = 0; i < 4; i++)
        {
            uninterrupted.TrainOnBatch(X, Y);
            second.TrainOnBatch(X, Y);
        }

        Assert.Equal(5, first.Optimizer.StepCount);
        Assert.Equal(uninterrupted.Parameters.Select(p => p.Value.ToArray()), second.Parameters.Select(p => p.Value.ToArray()));
    }

    [Fact]
    public void SetState_BadInput_IsRefusedNamingTheParameterAndSlot_AndChangesNothing()
    {
        var adam = new Adam(0.05f);
        Sequential model = NewModel(adam);
        model.TrainOnBatch(X, Y);
        Parameter kernel = model.Parameters[0], bias = model.Parameters[1];
        float[] before = adam.GetState(kernel)[1].ToArray();
        Tensor ok = new(kernel.Shape);

        var wrongShape = Assert.Throws<ArgumentException>(() => adam.SetState(9, [Entry(kernel, ok, new Tensor(3, 3))]));
        Assert.Contains("'kernel' (4, 3)", wrongShape.Message, StringComparison.Ordinal);
        Assert.Contains("'velocity' tensor is (3, 3)", wrongShape.Message, StringComparison.Ordinal);
        var wrongCount = Assert.Throws<ArgumentException>(() => adam.SetState(9, [Entry(kernel, ok)]));
        Assert.Contains("keeps 2 per parameter (momentum, velocity)", wrongCount.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<ArgumentException>(() => adam.SetState(9, [Entry(kernel, ok, ok), Entry(kernel, ok, ok)]));
        Assert.Contains("state[1]", twice.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => adam.SetState(9, [Entry(bias, new Tensor(bias.Shape), null!)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.SetState(-1, []));

        Assert.Equal(1, adam.StepCount);
        Assert.Equal(before, adam.GetState(kernel)[1].ToArray());
    }

    [Fact]
    public void SetState_ReplacesEverything_UnlistedParametersStartAfresh()
    {
        var sgd = new Sgd(0.1f, momentum: 0.9f);
        Sequential model = NewModel(sgd);
        model.TrainOnBatch(X, Y);
        Parameter kernel = model.Parameters[0], bias = model.Parameters[1];
        Tensor momentum = Tensor.RandomNormal(kernel.Shape, 7);

        sgd.SetState(41, [Entry(kernel, momentum)]);

        Assert.Equal(41, sgd.StepCount);
        Assert.Equal(momentum.ToArray(), sgd.GetState(kernel)[0].ToArray());
        Assert.All(sgd.GetState(bias)[0].ToArray(), v => Assert.Equal(0f, v));

        // A copy was taken: changing the caller's tensor does not reach the optimizer.
        momentum.AsSpan().Fill(5f);
        Assert.DoesNotContain(5f, sgd.GetState(kernel)[0].ToArray());
    }

    private static KeyValuePair<Parameter, IReadOnlyList<Tensor>> Entry(Parameter parameter, params Tensor[] values) => new(parameter, values);

    private static Sequential NewModel(Optimizer optimizer)
    {
        var model = new Sequential([new InputLayer(4), new Dense(3), new Dense(2)], seed: 3);
        model.Compile(optimizer, new MeanSquaredError());
        return model;
    }
}
