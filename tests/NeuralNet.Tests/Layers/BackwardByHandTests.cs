using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.Models;
using Xunit;

namespace NeuralNet.Tests.Layers;

// A layer driven by hand (Forward, then Backward) gives the gradient with respect to its input even when it is the first
// layer of a model, whose own backward pass skips it (ComputesInputGradient false). It used to hand back the output
// gradient: (1, 5, 5, 2) for an input (1, 7, 7, 1).
public class BackwardByHandTests
{
    public static TheoryData<string> FirstLayers => ["conv2d", "dense", "time_distributed", "pipeline", "bidirectional"];

    private static (Sequential Model, Layer First, TensorShape Sample) Make(string kind) => kind switch
    {
        "conv2d" => Of(new Conv2D(2, 3, activation: ActivationFunction.Tanh), new TensorShape(7, 7, 1)),
        "dense" => Of(new Dense(3, ActivationFunction.Tanh), new TensorShape(4)),
        "time_distributed" => Of(new TimeDistributed(new Dense(3, ActivationFunction.Tanh)), new TensorShape(2, 4)),
        "pipeline" => Of(new Pipeline([new Dense(3, ActivationFunction.Tanh), new Dense(3)]), new TensorShape(4)),
        _ => Of(new Bidirectional(new SimpleRnn(2, returnSequences: true)), new TensorShape(3, 2)),
    };

    private static (Sequential Model, Layer First, TensorShape Sample) Of(Layer first, TensorShape sample)
    {
        var model = new Sequential([new InputLayer(sample), first, new Flatten(), new Dense(2)], seed: 1);
        return (model, first, sample);
    }

    [Theory]
    [MemberData(nameof(FirstLayers))]
    public void Backward_FirstLayerOfAModel_GivesTheInputGradient(string kind)
    {
        (Sequential model, Layer first, TensorShape sample) = Make(kind);
        Tensor x = Tensor.RandomNormal(sample.Prepend(2), 2);
        model.Forward(x, training: false);
        Assert.False(first.ComputesInputGradient);

        Tensor[] inputs = [x];
        Tensor y = first.Forward(x, training: false);
        Tensor[] upstream = [Tensor.RandomNormal(y.Shape, 3)];
        Tensor dx = first.Backward(upstream[0]).Clone();

        Assert.Equal(x.Shape, dx.Shape);
        double[] numeric = InputGradientTesting.CentralDifferences(() => [first.Forward(x, training: false)], inputs, 0, upstream);
        InputGradientTesting.AssertClose(numeric, dx);

        // The model's own plan is left as it was.
        Assert.False(first.ComputesInputGradient);
    }

    [Fact]
    public void Backward_MultiInputFirstLayer_GivesEveryInputGradient()
    {
        var a = new Input(new TensorShape(3), name: "a");
        var b = new Input(new TensorShape(3), name: "b");
        var multiply = new Multiply();
        _ = new Functional([a, b], new Dense(1).Call(multiply.Call(a, b)), name: "m");
        Tensor xa = Tensor.RandomNormal(new TensorShape(2, 3), 1);
        Tensor xb = Tensor.RandomNormal(new TensorShape(2, 3), 2);
        Assert.False(multiply.ComputesInputGradient);

        multiply.Forward([xa, xb], training: false);
        Tensor g = Tensor.RandomNormal(new TensorShape(2, 3), 3);
        var gradients = new Tensor?[2];
        multiply.Backward(g, gradients);

        // d(a * b)/da = b, d(a * b)/db = a.
        float[] expectedA = [.. g.ToArray().Zip(xb.ToArray(), (u, v) => u * v)];
        float[] expectedB = [.. g.ToArray().Zip(xa.ToArray(), (u, v) => u * v)];
        Assert.Equal(expectedA, gradients[0]!.ToArray());
        Assert.Equal(expectedB, gradients[1]!.ToArray());
        Assert.False(multiply.ComputesInputGradient);
    }
}
