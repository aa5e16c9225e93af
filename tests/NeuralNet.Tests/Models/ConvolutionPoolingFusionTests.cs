using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Models;

// A model runs a first convolution together with the max pooling that alone reads its output (Conv2D.ForwardMaxPooled); the
// outputs and gradients are the bits of the layers run one after the other through their own Forward and Backward.
public class ConvolutionPoolingFusionTests
{
    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 3)]
    public void ForwardAndBackward_FirstConvolutionThenMaxPooling_SameBitsAsLayerByLayer(bool relu, int poolSize)
    {
        var convolution = new Conv2D(16, 3, activation: relu ? ActivationFunction.Relu : null);
        var model = new Sequential([new InputLayer(15, 14, 1), convolution, new MaxPooling2D(poolSize), new Flatten(), new Dense(4)], seed: 3);
        Layer[] layers = [.. model.Layers.Where(l => l is not InputLayer)];
        Tensor x = Tensor.RandomUniform(new TensorShape(6, 15, 14, 1), 5, -1f, 1f);
        Tensor dy = Tensor.RandomUniform(new TensorShape(6, 4), 6, -1f, 1f);

        float[] output = model.Forward(x, training: true)[0].AsReadOnlySpan().ToArray();
        model.Backward(dy);
        float[][] gradients = [.. model.Parameters.Select(p => p.Gradient.AsReadOnlySpan().ToArray())];

        // The model's pass kept no convolution output: the layer's own backward pass has nothing to run on.
        Assert.Contains("together with max pooling", Assert.Throws<InvalidOperationException>(() => convolution.Backward(new Tensor(6, 13, 12, 16))).Message);

        foreach (Parameter p in model.Parameters)
        {
            p.ZeroGradient();
        }

        Tensor h = x;
        foreach (Layer layer in layers)
        {
            h = layer.Forward(h, training: true);
        }

        Tensor g = dy;
        for (int i = layers.Length - 1; i >= 0; i--)
        {
            g = layers[i].Backward(g);
        }

        Assert.Equal(Bits(h.AsReadOnlySpan().ToArray()), Bits(output));
        Assert.Equal(gradients.Length, model.Parameters.Count);
        for (int i = 0; i < gradients.Length; i++)
        {
            Assert.Equal(Bits(model.Parameters[i].Gradient.AsReadOnlySpan().ToArray()), Bits(gradients[i]));
            Assert.Contains(gradients[i], v => v != 0f);
        }
    }

    // A convolution whose output something else reads too, or that passes a gradient to an earlier layer, runs on its own.
    [Fact]
    public void Forward_ConvolutionOutputReadTwiceOrNotFirst_RunsLayerByLayer()
    {
        var shared = new Conv2D(8, 3, activation: ActivationFunction.Relu);
        var input = new Input(new TensorShape(10, 10, 1));
        SymbolicTensor features = shared.Call(input);
        SymbolicTensor pooled = new Flatten().Call(new MaxPooling2D(2).Call(features));
        SymbolicTensor direct = new Flatten().Call(features);
        var branched = new Functional(input, new Dense(2).Call(new Concatenate().Call(pooled, direct)));
        branched.Forward(Tensor.RandomUniform(new TensorShape(2, 10, 10, 1), 1, -1f, 1f), training: true);
        shared.Backward(new Tensor(2, 8, 8, 8)); // ran on its own: its backward pass has its output to work from

        var second = new Conv2D(8, 3, activation: ActivationFunction.Relu);
        var stacked = new Sequential([new InputLayer(14, 14, 1), new Conv2D(1, 3), second, new MaxPooling2D(2), new Flatten(), new Dense(2)], seed: 1);
        stacked.Forward(Tensor.RandomUniform(new TensorShape(2, 14, 14, 1), 1, -1f, 1f), training: true);
        second.Backward(new Tensor(2, 10, 10, 8));
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
