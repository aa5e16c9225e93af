using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Models;

// Model.ComputesInputGradients and Model.InputGradients: dLoss/dInput from a custom loop (Keras' tape.gradient(score,
// image), PyTorch's x.requires_grad_() then x.grad), checked against central differences of sum(G * model(x)).
public class InputGradientsTests
{
    private static Functional Residual()
    {
        var x = new Input(new TensorShape(6), name: "x");
        SymbolicTensor h = new Dense(6, ActivationFunction.Tanh).Call(x);
        SymbolicTensor sum = new Add().Call(x, h);
        return new Functional(x, new Dense(2, ActivationFunction.Sigmoid).Call(sum), name: "residual", seed: 4);
    }

    private static Functional TwoInputs()
    {
        var a = new Input(new TensorShape(4), name: "a");
        var b = new Input(new TensorShape(3), name: "b");
        SymbolicTensor joined = new Concatenate().Call(new Dense(3, ActivationFunction.Tanh).Call(a), b);
        SymbolicTensor scaled = new Multiply().Call(new Dense(3).Call(joined), b);
        return new Functional([a, b], scaled, name: "two", seed: 5);
    }

    public static TheoryData<string> Models => ["chain", "residual", "two", "frozen"];

    private static Functional Make(string kind)
    {
        switch (kind)
        {
            case "chain":
                var x = new Input(new TensorShape(5), name: "x");
                return new Functional(x, new Dense(3).Call(new Dense(4, ActivationFunction.Tanh).Call(x)), name: "chain", seed: 3);
            case "residual":
                return Residual();
            case "two":
                return TwoInputs();
            default:
                Functional frozen = Residual();
                foreach (Layer layer in frozen.Layers)
                {
                    layer.Trainable = false;
                }

                return frozen;
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void InputGradients_AfterForwardAndBackward_MatchCentralDifferences(string kind)
    {
        Functional model = Make(kind);
        model.ComputesInputGradients = true;
        Tensor[] inputs = [.. model.Inputs.Select((t, i) => Tensor.RandomNormal(t.Shape.Prepend(3), 10 + i))];
        IReadOnlyList<Tensor> outputs = model.Forward(inputs, training: false);
        Tensor[] upstream = [.. outputs.Select((o, k) => Tensor.RandomNormal(o.Shape, 20 + k))];
        model.Backward(upstream);

        IReadOnlyList<Tensor> gradients = model.InputGradients;
        Assert.Equal(inputs.Length, gradients.Count);
        Tensor[] analytic = [.. gradients.Select(g => g.Clone())];
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(inputs[i].Shape, analytic[i].Shape);
            double[] numeric = InputGradientTesting.CentralDifferences(() => model.Forward(inputs, training: false), inputs, i, upstream);
            InputGradientTesting.AssertClose(numeric, analytic[i]);
        }

        if (kind == "frozen")
        {
            // Frozen layers pass the gradient on but keep no gradient of their own.
            Assert.All(model.Layers.SelectMany(l => l.Parameters), p => Assert.All(p.Gradient.ToArray(), v => Assert.Equal(0f, v)));
        }
    }

    [Fact]
    public void ComputesInputGradients_Off_FirstLayerSkipsItsInputGradientAgainAndInputGradientsThrows()
    {
        Functional model = Make("chain");
        Layer first = model.Layers[1];
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5), 1);
        Tensor g = Tensor.RandomNormal(new TensorShape(2, 3), 2);
        model.Forward(x, training: true);
        Assert.False(first.ComputesInputGradient);

        model.ComputesInputGradients = true;
        Assert.False(first.ComputesInputGradient); // the plan changes at the next forward pass, whose caches Backward reads
        model.Forward(x, training: true);
        Assert.True(first.ComputesInputGradient);
        model.Backward(g);
        Tensor saliency = model.InputGradients[0].Clone();

        model.ComputesInputGradients = false;
        model.Forward(x, training: true);
        Assert.False(first.ComputesInputGradient);
        model.Backward(g);
        var e = Assert.Throws<InvalidOperationException>(() => model.InputGradients);
        Assert.Contains("Model 'chain' computed no input gradients: set ComputesInputGradients = true before Forward", e.Message, StringComparison.Ordinal);

        // On again: the same gradient as the first time.
        model.ComputesInputGradients = true;
        model.Forward(x, training: true);
        model.Backward(g);
        Assert.Equal(saliency.ToArray(), model.InputGradients[0].ToArray());
    }

    [Fact]
    public void InputGradients_SetAfterTheForwardPass_ThrowsUntilTheNextForwardPass()
    {
        Functional model = Make("residual");
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 6), 1);
        Tensor g = Tensor.RandomNormal(new TensorShape(2, 2), 2);
        model.Forward(x, training: false);
        model.ComputesInputGradients = true;
        model.Backward(g);
        Assert.Contains("before Forward", Assert.Throws<InvalidOperationException>(() => model.InputGradients).Message, StringComparison.Ordinal);

        model.Forward(x, training: false);
        var e = Assert.Throws<InvalidOperationException>(() => model.InputGradients);
        Assert.Contains("call Backward first", e.Message, StringComparison.Ordinal);
        model.Backward(g);
        Assert.Equal(x.Shape, model.InputGradients[0].Shape);
    }

    [Fact]
    public void ComputesInputGradients_LambdaWithoutGradientAfterAnInput_ThrowsNamingItAndStaysOff()
    {
        var x = new Input(new TensorShape(3), name: "x");
        SymbolicTensor doubled = new Lambda(t => t, name: "identity").Call(x);
        var model = new Functional(x, new Dense(2).Call(doubled), name: "m");

        var e = Assert.Throws<InvalidOperationException>(() => model.ComputesInputGradients = true);

        Assert.Contains("Model 'm' cannot compute gradients with respect to its inputs: Lambda 'identity' has no gradient function", e.Message, StringComparison.Ordinal);
        Assert.False(model.ComputesInputGradients);
        model.Forward(Tensor.RandomNormal(new TensorShape(2, 3), 1), training: false);
        model.Backward(new Tensor(2, 2)); // trains as before: nothing before the Lambda has weights
    }

    [Fact]
    public void ForwardAndBackward_WithInputGradientsAfterTheFirstStep_AllocateNothing()
    {
        Functional model = Make("two");
        model.ComputesInputGradients = true;
        ModelData x = new Tensor[] { Tensor.RandomNormal(new TensorShape(4, 4), 1), Tensor.RandomNormal(new TensorShape(4, 3), 2) };
        ModelData g = Tensor.RandomNormal(new TensorShape(4, 3), 3);
        model.Forward(x, training: true);
        model.Backward(g);
        _ = model.InputGradients;

        AllocationCheck.AssertNone(() =>
        {
            for (int step = 0; step < 3; step++)
            {
                model.Forward(x, training: true);
                model.Backward(g);
                _ = model.InputGradients[1];
            }
        });
    }

    [Fact]
    public void InputGradients_InputReachedByNoGradient_AreZeros()
    {
        // b reaches the output only through a layer that gives it no gradient (a Lambda whose gradient for it is null).
        var a = new Input(new TensorShape(2), name: "a");
        var b = new Input(new TensorShape(2), name: "b");
        SymbolicTensor kept = new Lambda(
            t => t[0].Clone(),
            gradient: (inputs, output, dy) => [dy, null],
            name: "first").Call(a, b);
        var model = new Functional([a, b], new Dense(1).Call(kept), name: "m");
        model.ComputesInputGradients = true;
        model.Forward(new Tensor[] { Tensor.RandomNormal(new TensorShape(3, 2), 1), Tensor.RandomNormal(new TensorShape(3, 2), 2) }, training: false);
        model.Backward(Tensor.RandomNormal(new TensorShape(3, 1), 3));

        Assert.Equal(new float[6], model.InputGradients[1].ToArray());
        Assert.Contains(model.InputGradients[0].ToArray(), v => v != 0f);
    }
}
