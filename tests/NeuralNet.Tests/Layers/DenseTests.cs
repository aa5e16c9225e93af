using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class DenseTests
{
    private static Dense Built(int inputs, int units, ActivationFunction? activation = null, bool useBias = true, Regularizer? regularizer = null, long seed = 1)
    {
        var dense = new Dense(units, activation, biasInitializer: new RandomNormal(0, 0.5, seed + 7), kernelRegularizer: regularizer, biasRegularizer: regularizer, useBias: useBias, name: "dense") { Seed = seed };
        dense.Build(new TensorShape(inputs));
        return dense;
    }

    // Plain double loops: output[b, u] = activation(sum_i x[b, i] w[i, u] + bias[u]).
    private static float[] NaiveForward(Dense dense, Tensor input)
    {
        int batch = input.Shape[0], inputs = input.Shape[1], units = dense.Units;
        var z = new float[batch * units];
        for (int b = 0; b < batch; b++)
        {
            for (int u = 0; u < units; u++)
            {
                double sum = dense.UseBias ? dense.Bias!.Value[u] : 0;
                for (int i = 0; i < inputs; i++)
                {
                    sum += (double)input[b, i] * dense.Kernel.Value[i, u];
                }

                z[(b * units) + u] = (float)sum;
            }
        }

        var output = new float[z.Length];
        dense.Activation.Forward(z, output, units);
        return output;
    }

    [Fact]
    public void Constructor_ZeroUnits_ThrowsNamingUnits()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Dense(0));
        Assert.Contains("Dense expects a positive number of units but got units=0", e.Message, StringComparison.Ordinal);
        Assert.Equal("units", e.ParamName);
    }

    [Fact]
    public void Build_SequenceInput_AppliesToTheLastAxisAsKerasDoes()
    {
        var dense = new Dense(10, name: "dense_1");
        dense.Build(new TensorShape(28, 6));
        Assert.Equal(new TensorShape(28, 10), dense.OutputShape);
        Assert.Equal(new TensorShape(6, 10), dense.Kernel.Shape);
    }

    [Fact]
    public void Forward_RankThreeInput_EqualsRowByRowProduct()
    {
        Dense dense = new(4, ActivationFunction.Tanh, name: "d");
        Tensor input = TestData.Normal(11, 1f, 2, 3, 5);
        Tensor output = dense.Forward(input, training: false).Clone();
        Dense flat = new(4, ActivationFunction.Tanh);
        flat.Build(new TensorShape(5));
        dense.Kernel.Value.CopyTo(flat.Kernel.Value);
        dense.Bias!.Value.CopyTo(flat.Bias!.Value);
        Tensor expected = flat.Forward(input.Reshape(6, 5), training: false);
        Assert.Equal(new TensorShape(2, 3, 4), output.Shape);
        Assert.Equal(expected.ToArray(), output.ToArray());
    }

    [Fact]
    public void Backward_RankThreeInput_MatchesNumericalGradient()
    {
        Dense dense = new(3, ActivationFunction.Sigmoid, kernelRegularizer: new L2(0.01));
        GradientChecker.CheckLayer(dense, TestData.Normal(12, 1f, 2, 4, 5), seed: 13).AssertPassed();
    }

    [Fact]
    public void Forward_WrongWidth_ThrowsNamingLayerAndShapes()
    {
        Dense dense = Built(784, 10);
        var e = Assert.Throws<ArgumentException>(() => dense.Forward(new Tensor(32, 783), training: false));
        Assert.Contains("Dense 'dense' expects input (None, 784) but got (32, 783)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Mnist512_HasKerasParameterNamesShapesAndCounts()
    {
        Dense dense = Built(784, 512);
        Assert.Equal(401_920, dense.ParameterCount);
        Assert.Equal(401_920, dense.TrainableParameterCount);
        Assert.Equal(["kernel", "bias"], dense.Parameters.Select(p => p.Name));
        Assert.Equal(new TensorShape(784, 512), dense.Kernel.Shape);
        Assert.Equal(new TensorShape(512), dense.Bias!.Shape);
        Assert.Equal(new TensorShape(512), dense.OutputShape);
        Assert.Equal("dense", dense.DefaultNamePrefix);
        Assert.Equal(5_130, Built(512, 10).ParameterCount);
    }

    [Fact]
    public void Build_NoBias_HasOnlyKernel()
    {
        Dense dense = Built(4, 3, useBias: false);
        Assert.Null(dense.Bias);
        Assert.Equal(12, dense.ParameterCount);
    }

    [Fact]
    public void Build_Defaults_GlorotUniformKernelAndZeroBias()
    {
        var dense = new Dense(50) { Seed = 3 };
        dense.Build(new TensorShape(30));
        float limit = MathF.Sqrt(6f / 80f);
        Assert.All(dense.Kernel.Value.ToArray(), w => Assert.InRange(w, -limit, limit));
        Assert.True(dense.Kernel.Value.Max() > limit * 0.9f, "a uniform sample of 1500 should come close to the limit");
        Assert.All(dense.Bias!.Value.ToArray(), b => Assert.Equal(0f, b));
        Assert.IsType<GlorotUniform>(dense.KernelInitializer);
        Assert.IsType<Linear>(dense.Activation);
    }

    [Fact]
    public void Build_SameSeed_SameKernel()
    {
        var a = new Dense(8) { Seed = 42 };
        var b = new Dense(8) { Seed = 42 };
        var c = new Dense(8) { Seed = 43 };
        a.Build(new TensorShape(5));
        b.Build(new TensorShape(5));
        c.Build(new TensorShape(5));
        Assert.Equal(a.Kernel.Value.ToArray(), b.Kernel.Value.ToArray());
        Assert.NotEqual(a.Kernel.Value.ToArray(), c.Kernel.Value.ToArray());
    }

    [Theory]
    [InlineData(0, 7, 13, 5)]
    [InlineData(1, 1, 1, 1)]
    [InlineData(4, 32, 100, 17)]
    [InlineData(7, 3, 9, 10)]
    public void Forward_RandomBatch_MatchesNaiveReference(int activationIndex, int batch, int inputs, int units)
    {
        Dense dense = Built(inputs, units, DenseCase.Activations[activationIndex], seed: activationIndex + batch);
        Tensor input = TestData.Normal(11, 1f, batch, inputs);
        float[] expected = NaiveForward(dense, input);
        float[] actual = dense.Forward(input, training: false).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-4f);
        }
    }

    [Property(Arbitrary = [typeof(LayerCases)], MaxTest = 60, Replay = "(20261123,97)")]
    public void Backward_RandomShapes_MatchesNumericalGradient(DenseCase c)
    {
        Dense dense = Built(c.Inputs, c.Units, c.Activation, c.UseBias, c.Regularizer, c.Seed);
        Tensor input = TestData.Normal(c.Seed, 1f, c.Batch, c.Inputs);
        GradientCheckReport report = GradientChecker.CheckLayer(dense, input, c.Seed);
        report.AssertPassed(maxKinkFraction: 0.1);
    }

    [Fact]
    public void Backward_TwoCalls_AccumulatesParameterGradients()
    {
        Dense dense = Built(3, 2, ActivationFunction.Tanh);
        Tensor input = TestData.Normal(5, 1f, 4, 3);
        Tensor upstream = TestData.Normal(6, 1f, 4, 2);
        dense.Forward(input, training: true);
        dense.Backward(upstream);
        float[] once = dense.Kernel.Gradient.ToArray();
        float[] biasOnce = dense.Bias!.Gradient.ToArray();
        dense.Forward(input, training: true);
        dense.Backward(upstream);
        Assert.Equal(once.Select(g => 2 * g), dense.Kernel.Gradient.ToArray(), new Tolerance(1e-6f));
        Assert.Equal(biasOnce.Select(g => 2 * g), dense.Bias.Gradient.ToArray(), new Tolerance(1e-6f));
    }

    // The optimizer step only marks the gradients as zero; the next backward product overwrites the stale storage.
    [Fact]
    public void Backward_AfterOptimizerStep_StartsFromZeroNotFromTheStaleGradient()
    {
        Dense dense = Built(3, 2, ActivationFunction.Tanh, regularizer: new L2(0.5));
        Tensor input = TestData.Normal(5, 1f, 4, 3);
        Tensor upstream = TestData.Normal(6, 1f, 4, 2);
        dense.Forward(input, training: true);
        dense.Backward(upstream);
        new Sgd(0.1f).Step(dense.Parameters);

        Dense fresh = Built(3, 2, ActivationFunction.Tanh, regularizer: new L2(0.5));
        dense.Kernel.Value.CopyTo(fresh.Kernel.Value);
        dense.Bias!.Value.CopyTo(fresh.Bias!.Value);
        dense.Forward(input, training: true);
        dense.Backward(upstream);
        fresh.Forward(input, training: true);
        fresh.Backward(upstream);
        Assert.Equal(fresh.Kernel.Gradient.ToArray(), dense.Kernel.Gradient.ToArray());
        Assert.Equal(fresh.Bias.Gradient.ToArray(), dense.Bias.Gradient.ToArray());
    }

    [Fact]
    public void Backward_RegularizedKernel_LeavesThePenaltyGradientToTheTrainer()
    {
        Dense plain = Built(3, 2);
        Dense penalized = Built(3, 2, regularizer: new L2(0.5));
        Tensor input = TestData.Normal(5, 1f, 4, 3);
        Tensor upstream = TestData.Normal(6, 1f, 4, 2);
        plain.Forward(input, training: true);
        plain.Backward(upstream);
        penalized.Forward(input, training: true);
        penalized.Backward(upstream);
        Assert.Equal(plain.Kernel.Gradient.ToArray(), penalized.Kernel.Gradient.ToArray());
        NeuralNet.Training.Penalties.AddGradients([penalized.Kernel]);
        float[] w = plain.Kernel.Value.ToArray();
        float[] expected = plain.Kernel.Gradient.ToArray().Select((g, i) => g + (2 * 0.5f * w[i])).ToArray();
        Assert.Equal(expected, penalized.Kernel.Gradient.ToArray(), new Tolerance(1e-5f));
    }

    [Fact]
    public void Backward_InputGradientOff_ReturnsOutputGradientAndStillFillsParameterGradients()
    {
        Dense dense = Built(3, 2, ActivationFunction.Sigmoid);
        Dense reference = Built(3, 2, ActivationFunction.Sigmoid);
        dense.ComputesInputGradient = false;
        Tensor input = TestData.Normal(5, 1f, 4, 3);
        Tensor upstream = TestData.Normal(6, 1f, 4, 2);
        dense.Forward(input, training: true);
        Assert.Same(upstream, dense.BackwardAsPlanned(upstream)); // the model's path; a public Backward computes dX
        Assert.Equal(new TensorShape(4, 3), dense.Backward(upstream).Shape);
        Assert.False(dense.ComputesInputGradient);

        // Two backward passes added parameter gradients twice: so does the reference.
        reference.Forward(input, training: true);
        reference.Backward(upstream);
        reference.Forward(input, training: true);
        reference.Backward(upstream);
        Assert.Equal(reference.Kernel.Gradient.ToArray(), dense.Kernel.Gradient.ToArray());
        Assert.Equal(reference.Bias!.Gradient.ToArray(), dense.Bias!.Gradient.ToArray());
    }

    [Fact]
    public void Backward_BeforeForward_Throws()
    {
        Dense dense = Built(3, 2);
        Assert.Throws<InvalidOperationException>(() => dense.Backward(new Tensor(4, 2)));
    }

    [Fact]
    public void EndsWithSoftmax_OnlyForSoftmaxActivation()
    {
        Assert.True(Built(3, 2, ActivationFunction.Softmax).EndsWithSoftmax);
        Assert.False(Built(3, 2, ActivationFunction.Relu).EndsWithSoftmax);
        Assert.False(Built(3, 2).EndsWithSoftmax);
    }

    [Fact]
    public void BackwardFromLogitsGradient_NotSoftmax_ThrowsNotSupported()
    {
        Dense dense = Built(3, 2, ActivationFunction.Relu);
        dense.Forward(TestData.Normal(1, 1f, 4, 3), training: true);
        Assert.Throws<NotSupportedException>(() => dense.BackwardFromLogitsGradient(new Tensor(4, 2)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BackwardFromLogitsGradient_SoftmaxCrossEntropy_MatchesUnfusedPath(bool sparse)
    {
        const int Batch = 6, Inputs = 5, Classes = 4;
        Loss loss = sparse ? new SparseCategoricalCrossEntropy() : new CategoricalCrossEntropy();
        Tensor labels = TestData.Labels(3, Batch, Classes);
        Tensor targets = sparse ? labels : TestData.OneHot(labels, Classes);
        Tensor input = TestData.Normal(4, 1f, Batch, Inputs);

        Dense unfused = Built(Inputs, Classes, ActivationFunction.Softmax);
        Tensor p = unfused.Forward(input, training: true);
        var lossGradient = new Tensor(p.Shape);
        loss.Gradient(p, targets, lossGradient);
        float[] inputGradient = unfused.Backward(lossGradient).ToArray();

        Dense fused = Built(Inputs, Classes, ActivationFunction.Softmax);
        Tensor q = fused.Forward(input, training: true);
        var logitsGradient = new Tensor(q.Shape);
        ((ISoftmaxCrossEntropy)loss).LogitsGradient(q, targets, logitsGradient);
        float[] fusedInputGradient = fused.BackwardFromLogitsGradient(logitsGradient).ToArray();

        Assert.Equal(inputGradient, fusedInputGradient, new Tolerance(1e-5f));
        Assert.Equal(unfused.Kernel.Gradient.ToArray(), fused.Kernel.Gradient.ToArray(), new Tolerance(1e-5f));
        Assert.Equal(unfused.Bias!.Gradient.ToArray(), fused.Bias!.Gradient.ToArray(), new Tolerance(1e-5f));
    }

    [Fact]
    public void BackwardFromLogitsGradient_ConfidentWrongPrediction_StaysFiniteAndMatchesNumerical()
    {
        // Logits of +-30: the softmax saturates to 1e-26, far below the 1e-7 clip, where -t/p is useless.
        Dense dense = Built(2, 3, ActivationFunction.Softmax, seed: 9);
        dense.Kernel.Value.AsSpan().Clear();
        dense.Kernel.Value[0, 1] = 30f;
        dense.Kernel.Value[0, 0] = -30f;
        Tensor input = Tensor.FromArray([1f, 0.5f], 1, 2);
        Tensor targets = Tensor.FromArray([1f, 0f, 0f], 1, 3);
        var loss = new CategoricalCrossEntropy();
        Tensor p = dense.Forward(input, training: true);
        var g = new Tensor(p.Shape);
        ((ISoftmaxCrossEntropy)loss).LogitsGradient(p, targets, g);
        Tensor dx = dense.BackwardFromLogitsGradient(g);
        Assert.All(dx.ToArray(), v => Assert.True(float.IsFinite(v)));
        // d loss / d logit_0 = p_0 - 1 = -1: the gradient on w[0, 0] is x_0 * (p_0 - 1) = -1.
        Assert.Equal(-1f, dense.Kernel.Gradient[0, 0], 1e-5f);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        Dense hidden = Built(100, 64, ActivationFunction.Relu, regularizer: new L2(0.01));
        Dense output = Built(64, 10, ActivationFunction.Softmax, seed: 2);
        hidden.ComputesInputGradient = false;
        var loss = new CategoricalCrossEntropy();
        Tensor input = TestData.Normal(1, 1f, 32, 100);
        Tensor targets = TestData.OneHot(TestData.Labels(2, 32, 10), 10);
        var logitsGradient = new Tensor(32, 10);
        var fusion = (ISoftmaxCrossEntropy)loss;

        void Step()
        {
            Tensor h = hidden.Forward(input, training: true);
            Tensor p = output.Forward(h, training: true);
            fusion.LogitsGradient(p, targets, logitsGradient);
            hidden.Backward(output.BackwardFromLogitsGradient(logitsGradient));
            output.Backward(logitsGradient);
        }

        for (int i = 0; i < 3; i++)
        {
            Step();
        }

        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                Step();
            }

        });
    }
}
