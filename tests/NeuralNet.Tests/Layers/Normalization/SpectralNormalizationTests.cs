using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Normalization;

public class SpectralNormalizationTests
{
    [Fact]
    public void Keras_apply_layer_ones_kernel_is_halved_in_training()
    {
        // keras/src/layers/normalization/spectral_normalization_test.py, test_apply_layer: a 2x2 Conv2D of ones on a 2x2
        // image of ones gives 4; in training the kernel, read as (4, 1), has singular value 2, so the output is 2.
        var wrapper = new SpectralNormalization(new Conv2D(1, (2, 2), kernelInitializer: new Constant(1f)), powerIterations: 8);
        Tensor images = Tensor.FromArray([1f, 1f, 1f, 1f], 1, 2, 2, 1);
        Assert.Equal([4f], wrapper.Forward(images, training: false).ToArray());
        float[] u = wrapper.VectorU.Value.ToArray();
        Assert.Equal([2f], wrapper.Forward(images, training: true).ToArray());

        // The kernel now holds W / sigma and vector_u the new u (u's sign is kept: v = sign(u) / 2, u = sign(u)).
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f], ((Conv2D)wrapper.InnerLayer).Kernel.Value.ToArray());
        Assert.Equal([MathF.Sign(u[0])], wrapper.VectorU.Value.ToArray());
        Assert.Equal([2f], wrapper.Forward(images, training: false).ToArray());
    }

    [Fact]
    public void Keras_basic_weights_and_shapes()
    {
        // test_basic_spectralnorm: Dense(2) on (10, 3, 4) -> (10, 3, 2), 2 trainable and 1 non-trainable weights;
        // Embedding(10, 4) on ids (10,) -> (10, 4), 1 and 1.
        var dense = new SpectralNormalization(new Dense(2));
        Tensor y = dense.Forward(Tensor.RandomUniform(new TensorShape(10, 3, 4), 1), training: true);
        Assert.Equal(new TensorShape(10, 3, 2), y.Shape);
        Assert.Equal(["dense/kernel", "dense/bias"], dense.Parameters.Where(p => p.Trainable).Select(p => p.Name));
        Assert.Equal(["vector_u"], dense.Parameters.Where(p => !p.Trainable).Select(p => p.Name));
        Assert.Equal(new TensorShape(1, 2), dense.VectorU.Shape);

        var embedding = new SpectralNormalization(new Embedding(10, 4));
        Tensor ids = Tensor.FromArray([0f, 3f, 9f, 1f, 1f, 5f, 2f, 7f, 8f, 4f], 10);
        Assert.Equal(new TensorShape(10, 4), embedding.Forward(ids, training: true).Shape);
        Assert.Equal(1, embedding.Parameters.Count(p => p.Trainable));
        Assert.Equal(new TensorShape(1, 4), embedding.VectorU.Shape);
    }

    public static TheoryData<Func<Layer>, int[], int> PowerCases => new()
    {
        { () => new Dense(3), [5], 1 },
        { () => new Dense(7, useBias: false), [4], 3 },
        { () => new Conv2D(4, (3, 3)), [5, 5, 2], 2 },
        { () => new Conv1DTranspose(3, 2), [6, 4], 1 },
        { () => new DepthwiseConv2D((2, 2), depthMultiplier: 2), [4, 4, 3], 5 },
        { () => new Embedding(6, 5), [1], 2 },
    };

    [Theory]
    [MemberData(nameof(PowerCases))]
    public void Training_call_matches_a_float64_power_method(Func<Layer> make, int[] sample, int iterations)
    {
        var wrapper = new SpectralNormalization(make(), iterations);
        wrapper.Build(new TensorShape(sample));
        Parameter kernel = ((IKernelLayer)wrapper.InnerLayer).Kernel;
        int columns = kernel.Shape[-1];
        double[] w = [.. kernel.Value.ToArray().Select(x => (double)x)];
        double[] u = [.. wrapper.VectorU.Value.ToArray().Select(x => (double)x)];
        double[] v = new double[w.Length / columns];
        double sigma = SpectralNorm.PowerIterationReference(w, columns, iterations, u, v);

        wrapper.Forward(Input(sample, 2), training: true);
        float[] normalized = kernel.Value.ToArray();
        float[] newU = wrapper.VectorU.Value.ToArray();
        for (int i = 0; i < w.Length; i++)
        {
            Assert.True(Math.Abs(normalized[i] - (w[i] / sigma)) <= 1e-5 * (1 + Math.Abs(w[i] / sigma)), $"kernel {i}: {normalized[i]} vs {w[i] / sigma}");
        }

        for (int c = 0; c < columns; c++)
        {
            Assert.True(Math.Abs(newU[c] - u[c]) <= 1e-5, $"u {c}: {newU[c]} vs {u[c]}");
        }

        // The power method's sigma is at most the largest singular value (v W uᵀ with unit u, v) and near it.
        Assert.InRange(sigma, 0.2 * LargestSingularValue(w, columns), LargestSingularValue(w, columns) * (1 + 1e-9));
    }

    [Fact]
    public void Inference_runs_the_stored_kernel_and_changes_nothing()
    {
        var wrapper = new SpectralNormalization(new Dense(3, ActivationFunction.Tanh));
        Tensor x = Input([4], 3);
        wrapper.Forward(x, training: true);
        var dense = (Dense)wrapper.InnerLayer;
        float[] kernel = dense.Kernel.Value.ToArray();
        float[] u = wrapper.VectorU.Value.ToArray();
        float[] y = wrapper.Forward(x, training: false).ToArray();
        Assert.Equal(kernel, dense.Kernel.Value.ToArray());
        Assert.Equal(u, wrapper.VectorU.Value.ToArray());
        Assert.Equal(dense.Forward(x, training: false).ToArray(), y);
    }

    [Fact]
    public void All_zero_kernel_is_left_as_it_is_and_its_gradient_is_the_plain_one()
    {
        var wrapper = new SpectralNormalization(new Dense(2, kernelInitializer: Zeros.Instance, biasInitializer: new Constant(0.5f)));
        Tensor x = Input([3], 4);
        wrapper.Build(new TensorShape(3));
        float[] u = wrapper.VectorU.Value.ToArray();
        Assert.Equal(Enumerable.Repeat(0.5f, 10), wrapper.Forward(x, training: true).ToArray());
        Assert.Equal(u, wrapper.VectorU.Value.ToArray());
        var dense = (Dense)wrapper.InnerLayer;
        Assert.All(dense.Kernel.Value.ToArray(), value => Assert.Equal(0f, value));

        Tensor g = Tensor.RandomNormal(new TensorShape(5, 2), 5);
        dense.Kernel.ZeroGradient();
        wrapper.Backward(g);
        // dKernel = xᵀ g, the Dense gradient unchanged.
        float[] expected = new float[6];
        for (int n = 0; n < 5; n++)
        {
            for (int i = 0; i < 3; i++)
            {
                for (int o = 0; o < 2; o++)
                {
                    expected[(i * 2) + o] += x[n, i] * g[n, o];
                }
            }
        }

        Assert.Equal(expected, dense.Kernel.Gradient.ToArray(), new Tolerance(1e-6f));
    }

    public static TheoryData<Func<Layer>, int[]> GradientCases => new()
    {
        { () => new Dense(3, ActivationFunction.Tanh), [5] },
        { () => new Dense(4), [2, 3] },
        { () => new Conv2D(2, (2, 2)), [4, 4, 3] },
        { () => new Conv2DTranspose(2, (2, 2), strides: (2, 2)), [3, 3, 2] },
        { () => new Conv1D(3, 2), [5, 2] },
        { () => new EinsumDense("abc,cde->abde", [null, 2, 3], biasAxes: "de"), [4, 5] },
    };

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Backward_is_the_wrapped_layers_gradient_at_the_normalized_kernel(Func<Layer> make, int[] sample)
    {
        // Keras' TensorFlow and PyTorch backends: the training call assigns W / sigma to the kernel and the wrapped layer
        // reads it, so every gradient (kernel, bias, input) is the plain layer's at W / sigma, bit for bit.
        var wrapper = new SpectralNormalization(make(), powerIterations: 2);
        Tensor x = Input(sample, 7);
        wrapper.Build(new TensorShape(sample));
        Tensor y = wrapper.Forward(x, training: true);
        Tensor g = Tensor.RandomNormal(y.Shape, 8);
        foreach (Parameter p in wrapper.Parameters)
        {
            p.ZeroGradient();
        }

        float[] dx = wrapper.Backward(g).ToArray();

        Layer plain = make();
        plain.Build(new TensorShape(sample));
        var inner = wrapper.InnerLayer.Parameters;
        for (int i = 0; i < inner.Count; i++)
        {
            inner[i].Value.AsReadOnlySpan().CopyTo(plain.Parameters[i].Value.AsSpan());
            plain.Parameters[i].ZeroGradient();
        }

        Assert.Equal(plain.Forward(x, training: true).ToArray(), y.ToArray());
        Assert.Equal(plain.Backward(g).ToArray(), dx);
        for (int i = 0; i < inner.Count; i++)
        {
            Assert.Equal(plain.Parameters[i].Gradient.ToArray(), inner[i].Gradient.ToArray());
        }

        // The plain layer's gradients are checked against numerical ones in its own tests; here the wrapped kernel's
        // gradient is not the one through sigma (which has sum(dW ∘ W) = 0): a nonzero radial part proves it.
        float[] dw = ((IKernelLayer)wrapper.InnerLayer).Kernel.Gradient.ToArray();
        float[] wn = ((IKernelLayer)wrapper.InnerLayer).Kernel.Value.ToArray();
        Assert.NotEqual(0.0, Math.Round(dw.Zip(wn, (a, b) => (double)a * b).Sum(), 6));
    }

    [Fact]
    public void Backward_adds_to_a_gradient_already_held()
    {
        var wrapper = new SpectralNormalization(new Dense(3));
        Tensor x = Input([4], 9);
        wrapper.Build(new TensorShape(4));
        var dense = (Dense)wrapper.InnerLayer;
        float[] w = dense.Kernel.Value.ToArray();
        float[] u = wrapper.VectorU.Value.ToArray();
        Tensor g = Tensor.RandomNormal(new TensorShape(5, 3), 10);

        float[] Gradient(float[]? held)
        {
            w.CopyTo(dense.Kernel.Value.AsSpan());
            u.CopyTo(wrapper.VectorU.Value.AsSpan());
            wrapper.Forward(x, training: true);
            if (held is null)
            {
                dense.Kernel.DiscardGradient();
            }
            else
            {
                held.CopyTo(dense.Kernel.Gradient.AsSpan());
            }

            wrapper.Backward(g);
            return dense.Kernel.Gradient.ToArray();
        }

        float[] alone = Gradient(null);
        float[] held = [.. Enumerable.Range(0, 12).Select(i => (i * 0.37f) - 2f)];
        float[] sum = Gradient(held);
        Assert.Equal(held.Zip(alone, (a, b) => a + b), sum, new Tolerance(1e-5f));
    }

    [Fact]
    public void Backward_from_logits_gradient_matches_the_softmax_backward()
    {
        // A wrapped Dense ending in softmax takes the fused cross-entropy gradient p - t; the kernel gradient equals the
        // one from dL/dp = -t / p through the softmax.
        var wrapper = new SpectralNormalization(new Dense(3, ActivationFunction.Softmax));
        Assert.True(wrapper.EndsWithSoftmax);
        Tensor x = Input([4], 13);
        wrapper.Build(new TensorShape(4));
        var dense = (Dense)wrapper.InnerLayer;
        float[] w = dense.Kernel.Value.ToArray();
        float[] u = wrapper.VectorU.Value.ToArray();
        float[] targets = [.. Enumerable.Range(0, 15).Select(i => i % 3 == (i / 3) % 3 ? 1f : 0f)];

        float[] KernelGradient(bool fused)
        {
            w.CopyTo(dense.Kernel.Value.AsSpan());
            u.CopyTo(wrapper.VectorU.Value.AsSpan());
            float[] p = wrapper.Forward(x, training: true).ToArray();
            dense.Kernel.ZeroGradient();
            if (fused)
            {
                wrapper.BackwardFromLogitsGradient(Tensor.FromArray([.. p.Select((pi, i) => pi - targets[i])], 5, 3));
            }
            else
            {
                wrapper.Backward(Tensor.FromArray([.. p.Select((pi, i) => -targets[i] / pi)], 5, 3));
            }

            return dense.Kernel.Gradient.ToArray();
        }

        float[] plain = KernelGradient(fused: false);
        Assert.Contains(plain, g => Math.Abs(g) > 1e-3f);
        Assert.Equal(plain, KernelGradient(fused: true), new Tolerance(1e-5f));
    }

    [Fact]
    public void Training_allocates_nothing_after_warm_up() =>
        LayerTestKit.AssertTrainingAllocatesNothing([5, 5, 2],
            new SpectralNormalization(new Conv2D(3, (2, 2))), new SpectralNormalization(new Dense(4), powerIterations: 2));

    [Fact]
    public void Same_seed_same_bits_with_one_and_two_threads() =>
        LayerTestKit.AssertSameBitsWithOneAndTwoThreads([5, 5, 2],
            () => [new SpectralNormalization(new Conv2D(3, (2, 2))), new SpectralNormalization(new Dense(4), powerIterations: 3)]);

    [Fact]
    public void Training_keeps_the_stored_kernel_normalized()
    {
        Sequential model = LayerTestKit.TrainedModel([6], 4, new SpectralNormalization(new Dense(5), powerIterations: 1, name: "sn"));
        var wrapper = (SpectralNormalization)model.GetLayer("sn");
        float[] kernel = ((Dense)wrapper.InnerLayer).Kernel.Value.ToArray();

        // After each step the kernel is Wn minus one optimizer step (Adam, 0.01): its spectral norm stays near 1.
        Assert.InRange(LargestSingularValue([.. kernel.Select(k => (double)k)], 5), 0.9, 1.15);
    }

    [Fact]
    public void Config_round_trip_and_save_load()
    {
        var wrapper = new SpectralNormalization(new Dense(4, ActivationFunction.Relu, name: "d"), powerIterations: 3, name: "sn");
        string json = wrapper.GetConfig().ToJson();
        Assert.Contains("\"power_iterations\":3", json, StringComparison.Ordinal);
        Assert.Contains("\"class_name\":\"Dense\"", json, StringComparison.Ordinal);
        var copy = Assert.IsType<SpectralNormalization>(SerializationRegistry.Recreate(wrapper));
        Assert.Equal(3, copy.PowerIterations);
        Assert.Equal(json, copy.GetConfig().ToJson());
        Assert.Equal("spectral_normalization", wrapper.DefaultNamePrefix);

        Sequential model = LayerTestKit.TrainedModel([3, 4], 12,
            new SpectralNormalization(new Conv1D(3, 2), powerIterations: 2), new SpectralNormalization(new Dense(4)));
        Model loaded = LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([3, 4], 12).X);
        Assert.Contains(loaded.Parameters, p => p.Name == "vector_u");
    }

    [Fact]
    public void Bad_input_names_what_was_wrong()
    {
        var noKernel = Assert.Throws<ArgumentException>(() => new SpectralNormalization(new ReLU(name: "relu_7")));
        Assert.Contains("ReLU 'relu_7'", noKernel.Message, StringComparison.Ordinal);
        Assert.Contains("kernel", noKernel.Message, StringComparison.Ordinal);
        Assert.Equal("layer", noKernel.ParamName);

        var separable = Assert.Throws<ArgumentException>(() => new SpectralNormalization(new SeparableConv2D(2, (3, 3))));
        Assert.Contains("SeparableConv2D", separable.Message, StringComparison.Ordinal);

        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralNormalization(new Dense(2), powerIterations: 0));
        Assert.Contains("powerIterations=0", zero.Message, StringComparison.Ordinal);
        Assert.Equal("powerIterations", zero.ParamName);

        var built = new Dense(2);
        built.Build(new TensorShape(3));
        Assert.Throws<ArgumentException>(() => new SpectralNormalization(built));

        string bad = new SpectralNormalization(new Dense(2)).GetConfig().Set("power_iterations", 0).ToJson();
        Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(
            System.Text.Json.Nodes.JsonNode.Parse($"{{\"class_name\":\"SpectralNormalization\",\"config\":{bad}}}")!, new Config(), "layer"));
    }

    private static Tensor Input(int[] sample, long seed) =>
        sample.Length == 1 && sample[0] == 1
            ? Tensor.FromArray([1f, 4f, 0f, 5f, 2f], 5, 1)
            : Tensor.RandomNormal(new TensorShape([5, .. sample]), seed);

    // The largest singular value of W (rows, columns), by the float64 power method run to convergence on WᵀW.
    private static double LargestSingularValue(double[] w, int columns)
    {
        int rows = w.Length / columns;
        double[] u = [.. Enumerable.Range(0, columns).Select(i => 1.0 + (0.1 * i))];
        double[] v = new double[rows];
        double sigma = 0;
        for (int it = 0; it < 2000; it++)
        {
            sigma = SpectralNorm.PowerIterationReference(w, columns, 1, u, v);
        }

        return sigma;
    }
}
