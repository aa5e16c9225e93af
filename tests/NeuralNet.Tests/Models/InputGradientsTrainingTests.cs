using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

// Model.ComputesInputGradients during training: the training steps of Fit and TrainOnBatch leave the input gradients out
// (same bits), ComputeGradients keeps them; the refusal of a Lambda without a gradient function checks the plan the pass
// really runs, on a variable-length model's variants too, and says why the gradient is needed.
public class InputGradientsTrainingTests
{
    private static Functional Chain(long seed)
    {
        var x = new Input(new TensorShape(5), name: "x");
        SymbolicTensor h = new Dense(4, ActivationFunction.Tanh, name: "hidden").Call(x);
        var model = new Functional(x, new Dense(2, name: "out").Call(h), name: "chain", seed: seed);
        model.Compile(new Adam(), new MeanSquaredError());
        return model;
    }

    private static readonly Tensor X = Tensor.RandomNormal(new TensorShape(12, 5), 1);
    private static readonly Tensor Y = Tensor.RandomNormal(new TensorShape(12, 2), 2);

    [Fact]
    public void Fit_WithComputesInputGradientsOn_SameBitsAndNoInputGradientWork()
    {
        Functional off = Chain(7), on = Chain(7);
        on.ComputesInputGradients = true;

        off.Fit(X, Y, epochs: 3, batchSize: 4, verbose: 0, seed: 9);
        on.Fit(X, Y, epochs: 3, batchSize: 4, verbose: 0, seed: 9);

        Assert.Equal(off.GetWeights().SelectMany(w => w.ToArray()), on.GetWeights().SelectMany(w => w.ToArray()));
        // The first layer after the input computed no input gradient in the training steps.
        Assert.False(on.Layers[1].ComputesInputGradient);
        var e = Assert.Throws<InvalidOperationException>(() => on.InputGradients);
        Assert.Contains("its last forward pass was a training step (Fit or TrainOnBatch), which leaves them out", e.Message, StringComparison.Ordinal);

        off.TrainOnBatch(X, Y);
        on.TrainOnBatch(X, Y);
        Assert.Equal(off.GetWeights().SelectMany(w => w.ToArray()), on.GetWeights().SelectMany(w => w.ToArray()));
        Assert.Throws<InvalidOperationException>(() => on.InputGradients);
    }

    [Fact]
    public void ComputeGradients_WithComputesInputGradientsOn_LeavesTheLossInputGradient()
    {
        Functional model = Chain(3);
        model.ComputesInputGradients = true;
        model.ComputeGradients(X, Y);
        Tensor fromComputeGradients = model.InputGradients[0].Clone();

        // The same gradient by hand: MSE's dLoss/dPrediction = 2 (p - y) / (rows * columns).
        Tensor p = model.Forward(X, training: true)[0];
        var g = new Tensor(p.Shape);
        for (int i = 0; i < p.Length; i++)
        {
            g.AsSpan()[i] = 2f * (p.AsReadOnlySpan()[i] - Y.AsReadOnlySpan()[i]) / p.Length;
        }

        model.Backward(g);
        float[] expected = model.InputGradients[0].ToArray(), actual = fromComputeGradients.ToArray();
        Assert.Contains(actual, v => v != 0f);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-6f);
        }
    }

    [Fact]
    public void TrainingStep_WithComputesInputGradientsOn_AllocatesNothingAfterTheFirstStep()
    {
        Functional model = Chain(5);
        model.ComputesInputGradients = true;
        model.TrainStep(X, Y);

        // The training step itself (TrainOnBatch adds its logs' view and the conversions of its arguments).
        AllocationCheck.AssertNone(() =>
        {
            for (int step = 0; step < 3; step++)
            {
                model.TrainStep(X, Y);
            }
        });
    }

    // A variable-length model whose Lambda (no gradient function) follows the input, added after ComputesInputGradients
    // was set (Sequential.Add does not check it): only the input gradients need the Lambda's gradient.
    private static Sequential VariableWithLambdaAfterInput()
    {
        var model = new Sequential([new InputLayer([null, 3])], name: "variable", seed: 4);
        model.ComputesInputGradients = true;
        model.Add(new Lambda(t => t, outputShape: [null, 3], name: "same"));
        model.Add(new Dense(2, name: "out"));
        model.Compile(new Sgd(), new MeanSquaredError());
        return model;
    }

    [Theory]
    [InlineData(5)]
    [InlineData(9)]
    public void Backward_VariantWithLambdaAfterTheInput_RefusedBeforeAnyGradientChanges(int length)
    {
        Sequential model = VariableWithLambdaAfterInput();
        Tensor x = Tensor.RandomNormal(new TensorShape(2, length, 3), 1);

        model.Forward(x, training: true);
        var e = Assert.Throws<InvalidOperationException>(() => model.Backward(Tensor.RandomNormal(new TensorShape(2, length, 2), 2)));

        Assert.Equal(
            "Lambda 'same' has no gradient function, but Backward needs the gradient with respect to its input: the model computes gradients with respect to its inputs (ComputesInputGradients is on), and nothing before the Lambda has trainable weights. NeuralNet has no automatic differentiation: pass gradient: to the Lambda, or set ComputesInputGradients = false.",
            e.Message);
        Assert.All(model.Parameters, p => Assert.All(p.Gradient.ToArray(), v => Assert.Equal(0f, v)));

        var computed = Assert.Throws<InvalidOperationException>(() => model.ComputeGradients(x, Tensor.RandomNormal(new TensorShape(2, length, 2), 3)));
        Assert.Contains("Lambda 'same' has no gradient function, but ComputeGradients needs", computed.Message, StringComparison.Ordinal);
        Assert.All(model.Parameters, p => Assert.All(p.Gradient.ToArray(), v => Assert.Equal(0f, v)));
    }

    [Fact]
    public void Fit_VariantWithLambdaAfterTheInput_TrainsWithoutTheInputGradients()
    {
        Sequential model = VariableWithLambdaAfterInput();
        float[] before = [.. model.GetWeights().SelectMany(w => w.ToArray())];

        model.Fit(Tensor.RandomNormal(new TensorShape(4, 5, 3), 1), Tensor.RandomNormal(new TensorShape(4, 5, 2), 2), epochs: 2, batchSize: 2, verbose: 0);

        Assert.NotEqual(before, model.GetWeights().SelectMany(w => w.ToArray()));
    }

    [Fact]
    public void TrainOnBatch_LambdaAfterATrainableLayer_NamesThatLayer()
    {
        var x = new Input(new TensorShape(3), name: "x");
        SymbolicTensor h = new Dense(3, name: "dense").Call(x);
        var model = new Functional(x, new Dense(1).Call(new Lambda(t => t, name: "same").Call(h)), name: "m");
        model.Compile(new Sgd(), new MeanSquaredError());

        var e = Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(Tensor.RandomNormal(new TensorShape(2, 3), 1), new Tensor(2, 1)));

        Assert.Equal(
            "Lambda 'same' has no gradient function, but TrainOnBatch needs the gradient with respect to its input: Dense 'dense' before it has trainable weights. NeuralNet has no automatic differentiation: pass gradient: to the Lambda, or freeze the layers before it (Trainable = false).",
            e.Message);
    }
}
