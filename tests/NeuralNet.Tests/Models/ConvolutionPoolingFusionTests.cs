using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

// A model runs a convolution together with the max pooling that alone reads its output (Conv2D.ForwardMaxPooled); the
// outputs and gradients are the bits of the layers run one after the other through their own Forward and Backward.
public class ConvolutionPoolingFusionTests
{
    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 3)]
    public void ForwardAndBackward_ConvolutionsThenMaxPooling_SameBitsAsLayerByLayer(bool relu, int poolSize)
    {
        // The first convolution runs the direct path, the second im2col + GEMM, which also passes a gradient back.
        var convolution = new Conv2D(16, 3, activation: relu ? ActivationFunction.Relu : null);
        var second = new Conv2D(8, 2, activation: relu ? ActivationFunction.Relu : null);
        var model = new Sequential([new InputLayer(15, 14, 1), convolution, new MaxPooling2D(poolSize), second, new MaxPooling2D(2), new Flatten(), new Dense(4)], seed: 3);
        Layer[] layers = [.. model.Layers.Where(l => l is not InputLayer)];
        Tensor x = Tensor.RandomUniform(new TensorShape(6, 15, 14, 1), 5, -1f, 1f);
        Tensor dy = Tensor.RandomUniform(new TensorShape(6, 4), 6, -1f, 1f);

        float[] output = model.Forward(x, training: true)[0].AsReadOnlySpan().ToArray();
        model.Backward(dy);
        float[][] gradients = [.. model.Parameters.Select(p => p.Gradient.AsReadOnlySpan().ToArray())];

        // The model's pass kept no convolution output: the layer's own backward pass has nothing to run on.
        Assert.Contains("together with another", Assert.Throws<InvalidOperationException>(() => convolution.Backward(new Tensor(6, 13, 12, 16))).Message);
        Assert.Contains("kept no output", Assert.Throws<InvalidOperationException>(() => convolution.GetOutput(0)).Message);
        Assert.Contains("kept no output", Assert.Throws<InvalidOperationException>(() => second.GetOutput(0)).Message);
        Assert.Equal(6 * 16 * (13 / poolSize) * (12 / poolSize), layers[1].GetOutput(0).Shape.ElementCount);

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

    [Fact]
    public void Inference_FusedConvolution_KeepsNoPatchMatrixAndABackwardAfterItMatchesTraining()
    {
        // The second convolution (im2col + GEMM, 64-value patches) runs fused with its pooling in inference too: like an
        // unfused one it packs each group into a per-thread matrix there, and packs the batch when a backward pass follows.
        var second = new Conv2D(8, 2, activation: ActivationFunction.Relu);
        var model = new Sequential([new InputLayer(15, 14, 1), new Conv2D(16, 3, activation: ActivationFunction.Relu), new MaxPooling2D(2), second, new MaxPooling2D(2), new Flatten(), new Dense(4)], seed: 7);
        Tensor x = Tensor.RandomUniform(new TensorShape(6, 15, 14, 1), 8, -1f, 1f);
        Tensor dy = Tensor.RandomUniform(new TensorShape(6, 4), 9, -1f, 1f);

        model.Predict(x);
        Assert.Equal(0, second.KeptColumnsLength);
        Assert.Contains("kept no output", Assert.Throws<InvalidOperationException>(() => second.GetOutput(0)).Message);

        float[] inferred = model.Forward(x, training: false)[0].AsReadOnlySpan().ToArray();
        model.Backward(dy);
        float[][] afterInference = [.. model.Parameters.Select(p => p.Gradient.AsReadOnlySpan().ToArray())];
        foreach (Parameter p in model.Parameters)
        {
            p.ZeroGradient();
        }

        float[] trained = model.Forward(x, training: true)[0].AsReadOnlySpan().ToArray();
        model.Backward(dy);

        Assert.Equal(Bits(trained), Bits(inferred));
        for (int i = 0; i < afterInference.Length; i++)
        {
            Assert.Equal(Bits(model.Parameters[i].Gradient.AsReadOnlySpan().ToArray()), Bits(afterInference[i]));
        }
    }

    // Against an executor that runs every layer on its own: a model's first convolution, and a shared convolution whose
    // calls are fused and not (their kernel gradients add up in the same order), through training passes.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrainingPasses_FusedAndLayerByLayer_SameBits(bool shared)
    {
        // The second convolution (im2col + GEMM) has ReLU and no bias; 40 images make groups of several per work item.
        Model model = shared ? SharedConvolution() : new Sequential([new InputLayer(16, 16, 1), new Conv2D(16, 3, activation: ActivationFunction.Relu), new MaxPooling2D(2),
            new Conv2D(8, 3, activation: ActivationFunction.Relu, useBias: false), new MaxPooling2D(2), new Flatten(), new Dense(3)], seed: 4);
        int batch = shared ? 5 : 40;
        Tensor[] inputs = [.. model.Inputs.Select((input, i) => Tensor.RandomUniform(new TensorShape([batch, .. input.Shape.Dimensions]), 10 + i, -1f, 1f))];
        Tensor outputGradient = Tensor.RandomUniform(new TensorShape(batch, 3), 20, -1f, 1f);
        (float[] fusedOutput, float[][] fusedGradients) = RunTraining(model, new GraphExecutor(model.Graph), inputs, outputGradient);
        (float[] output, float[][] gradients) = RunTraining(model, GraphExecutor.LayerByLayer(model.Graph, inference: false), inputs, outputGradient);

        Assert.Equal(Bits(output), Bits(fusedOutput));
        for (int i = 0; i < gradients.Length; i++)
        {
            Assert.Equal(Bits(gradients[i]), Bits(fusedGradients[i]));
        }
    }

    // A few-filter convolution (ConvFewFilters) keeps no patch matrix, so it never runs the im2col + GEMM pooled path,
    // which 4 filters would otherwise pass where a vector holds 4 floats (DOTNET_EnableAVX2=0, ARM64): the model trains
    // each layer on its own, the bits of the layer-by-layer executor, whatever the vector width.
    [Fact]
    public void TrainingPasses_FewFilterConvolutionsThenMaxPooling_NotFusedAndSameBitsAsLayerByLayer()
    {
        // 20 -> 16 (5x5 valid) -> 8 (pool) -> 8 (3x3 same, passes a gradient back) -> 4 (pool): rows of 16 and 8 pixels,
        // patches of 50 and 36 values, more than ConvDirect takes (4 filters are a multiple of 4-wide vectors).
        var first = new Conv2D(4, 5, activation: ActivationFunction.Relu);
        var second = new Conv2D(4, 3, padding: Padding.Same, activation: ActivationFunction.Relu);
        MaxPooling2D firstPooling = new(2), secondPooling = new(2);
        var model = new Sequential([new InputLayer(20, 20, 2), first, firstPooling, second, secondPooling, new Flatten(), new Dense(3)], seed: 8);
        Tensor x = Tensor.RandomUniform(new TensorShape(6, 20, 20, 2), 11, -1f, 1f);
        Tensor outputGradient = Tensor.RandomUniform(new TensorShape(6, 3), 12, -1f, 1f);
        (float[] fusedOutput, float[][] fusedGradients) = RunTraining(model, new GraphExecutor(model.Graph), x, outputGradient);
        (float[] output, float[][] gradients) = RunTraining(model, GraphExecutor.LayerByLayer(model.Graph, inference: false), x, outputGradient);

        Assert.Equal(Bits(output), Bits(fusedOutput));
        for (int i = 0; i < gradients.Length; i++)
        {
            Assert.Equal(Bits(gradients[i]), Bits(fusedGradients[i]));
        }

        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            Assert.False(first.CanFuseMaxPooling(firstPooling, inputGradient: false));
            Assert.False(second.CanFuseMaxPooling(secondPooling, inputGradient: true));
            Assert.Equal(0, first.KeptColumnsLength); // the few-filter kernel ran, not im2col + GEMM
            Assert.Equal(0, second.KeptColumnsLength);
        }
    }

    // In inference no layer passes a gradient back, so a deeper nine-tap convolution fuses too.
    [Fact]
    public void InferencePass_DeeperConvolutionFused_SameBitsAsLayerByLayer()
    {
        var model = new Sequential([new InputLayer(14, 14, 1), new Conv2D(1, 3), new Conv2D(8, 3, activation: ActivationFunction.Relu), new MaxPooling2D(2), new Flatten(), new Dense(3)], seed: 5);
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 14, 14, 1), 8, -1f, 1f);
        float[] fused = GraphExecutor.ForInference(model.Graph).Forward([x], training: false)[0].AsReadOnlySpan().ToArray();
        float[] layerByLayer = GraphExecutor.LayerByLayer(model.Graph, inference: true).Forward([x], training: false)[0].AsReadOnlySpan().ToArray();
        Assert.Equal(Bits(layerByLayer), Bits(fused));
    }

    [Fact]
    public void TrainStep_FusedAfterWarmUp_AllocatesNothing()
    {
        var model = new Sequential([new InputLayer(14, 14, 1), new Conv2D(16, 3, activation: ActivationFunction.Relu), new MaxPooling2D(2),
            new Conv2D(8, 3, activation: ActivationFunction.Relu), new MaxPooling2D(2), new Flatten(), new Dense(3, ActivationFunction.Softmax)], seed: 2);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        Tensor x = Tensor.RandomUniform(new TensorShape(32, 14, 14, 1), 3, 0f, 1f);
        var y = new Tensor(32, 3);
        for (int i = 0; i < 32; i++)
        {
            y[i, i % 3] = 1f;
        }

        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() =>
        {
            for (int step = 0; step < 4; step++)
            {
                model.TrainStep(x, y);
            }
        });
    }

    // A convolution whose output something else reads too, or with another activation than ReLU, runs on its own; so does
    // a nine-tap (direct) convolution that passes a gradient back, which the im2col + GEMM path (without SIMD) fuses.
    [Fact]
    public void Forward_ConvolutionOutputReadTwiceOrNotFused_RunsLayerByLayer()
    {
        var shared = new Conv2D(8, 3, activation: ActivationFunction.Relu);
        var input = new Input(new TensorShape(10, 10, 1));
        SymbolicTensor features = shared.Call(input);
        SymbolicTensor pooled = new Flatten().Call(new MaxPooling2D(2).Call(features));
        SymbolicTensor direct = new Flatten().Call(features);
        var branched = new Functional(input, new Dense(2).Call(new Concatenate().Call(pooled, direct)));
        branched.Forward(Tensor.RandomUniform(new TensorShape(2, 10, 10, 1), 1, -1f, 1f), training: true);
        shared.Backward(new Tensor(2, 8, 8, 8)); // ran on its own: its backward pass has its output to work from

        var tanh = new Conv2D(8, 3, activation: ActivationFunction.Tanh);
        var other = new Sequential([new InputLayer(10, 10, 1), tanh, new MaxPooling2D(2), new Flatten(), new Dense(2)], seed: 1);
        other.Forward(Tensor.RandomUniform(new TensorShape(2, 10, 10, 1), 1, -1f, 1f), training: true);
        tanh.Backward(new Tensor(2, 8, 8, 8));

        var second = new Conv2D(8, 3, activation: ActivationFunction.Relu);
        var stacked = new Sequential([new InputLayer(14, 14, 1), new Conv2D(1, 3), second, new MaxPooling2D(2), new Flatten(), new Dense(2)], seed: 1);
        stacked.Forward(Tensor.RandomUniform(new TensorShape(2, 14, 14, 1), 1, -1f, 1f), training: true);
        Exception? refused = Record.Exception(() => second.Backward(new Tensor(2, 10, 10, 8)));
        Assert.Equal(!System.Numerics.Vector.IsHardwareAccelerated, refused is InvalidOperationException);
    }

    // One input through a convolution and its pooling, the other through the same convolution alone.
    private static Functional SharedConvolution()
    {
        var convolution = new Conv2D(8, 3, activation: ActivationFunction.Relu);
        var a = new Input(new TensorShape(10, 10, 1));
        var b = new Input(new TensorShape(10, 10, 1));
        SymbolicTensor pooled = new Flatten().Call(new MaxPooling2D(2).Call(convolution.Call(a)));
        SymbolicTensor whole = new Flatten().Call(convolution.Call(b));

        // Keras' order (deepest first, ties depth-first) runs the first call, the second, then the pooling: backward, the
        // pooling step comes before the second call's, and the calls' gradients must still add up second call first.
        return new Functional([a, b], [new Dense(3).Call(new Concatenate().Call(whole, pooled))], seed: 6);
    }

    private static (float[] Output, float[][] Gradients) RunTraining(Model model, GraphExecutor executor, Tensor input, Tensor outputGradient) =>
        RunTraining(model, executor, [input], outputGradient);

    private static (float[] Output, float[][] Gradients) RunTraining(Model model, GraphExecutor executor, Tensor[] inputs, Tensor outputGradient)
    {
        foreach (Parameter p in model.Parameters)
        {
            p.ZeroGradient();
        }

        float[] output = executor.Forward(inputs, training: true)[0].AsReadOnlySpan().ToArray();
        executor.Backward([outputGradient], []);
        float[][] gradients = [.. model.Parameters.Select(p => p.Gradient.AsReadOnlySpan().ToArray())];
        Assert.All(gradients, g => Assert.Contains(g, v => v != 0f));
        return (output, gradients);
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
