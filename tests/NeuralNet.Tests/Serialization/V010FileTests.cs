using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// Files written by NeuralNet 0.1.0 (Files/v0.1.0, see its README) still load: the same predictions bit for bit, and
/// training resumed from them reaches the weights 0.1.0 reached. The files were written on the AVX-512 kernels; on the
/// fallbacks CI also runs (AVX2, Vector&lt;T&gt;, scalar), whose sums run in another order, the comparisons allow float32
/// rounding instead of asking for the same bits.
/// </summary>
public class V010FileTests
{
    private static readonly string s_folder = Path.Combine(AppContext.BaseDirectory, "Serialization", "Files", "v0.1.0");

    private static bool SameKernels => NeuralNet.Kernels.Gemm.KernelName == "Avx512Kernel";

    private static void AssertMatches(Tensor expected, Tensor actual, double tolerance, string what)
    {
        if (SameKernels && tolerance == 0)
        {
            Assert.Equal(Bits(expected), Bits(actual));
            return;
        }

        double allowed = Math.Max(tolerance, 1e-5);
        for (int j = 0; j < expected.Length; j++)
        {
            float a = expected.AsReadOnlySpan()[j], b = actual.AsReadOnlySpan()[j];
            Assert.True(Math.Abs(a - b) <= allowed * Math.Max(1, Math.Abs(a)), $"{what}[{j}]: 0.1.0 gave {a}, now {b}");
        }
    }

    public static TheoryData<string> ModelFiles() => ["dense_adam", "conv_sgd", "binary_rmsprop", "plain_uncompiled"];

    [Theory]
    [MemberData(nameof(ModelFiles))]
    public void Load_V010ModelFile_PredictsTheSavedOutputsBitForBit(string name)
    {
        SafeTensorsFile expected = SafeTensors.Load(Path.Combine(s_folder, name + ".expected.safetensors"));
        Sequential model = Sequential.Load(Path.Combine(s_folder, name + ".safetensors"));
        AssertMatches(expected["predictions"], model.Predict(expected["x"]), RunsChangedKernels(name) ? 1e-5 : 0, "prediction");
    }

    /// <summary>
    /// conv_sgd's Conv2D has few filters on few channels, which since session 42 runs the direct few-filter kernel
    /// (Kernels/ConvFewFilters) instead of im2col + GEMM: its sums run in another order, so its outputs and trained
    /// weights differ from 0.1.0's in the last bits (1 to 3 units in the last place), as on the fallback kernels.
    /// dense_adam has a tanh-approximated GELU, computed in float vectors since session 44 (Kernels/GeluKernels, within
    /// 2 units in the last place of the exact formula) instead of double: its predictions differ in the last bit.
    /// </summary>
    private static bool RunsChangedKernels(string name) => name is "conv_sgd" or "dense_adam";

    /// <remarks>
    /// SGD's arithmetic is unchanged since 0.1.0, so training resumes to the same bits where the model's kernels are
    /// unchanged (conv_sgd's convolution is not: <see cref="RunsChangedKernels"/>). Adam and RMSprop now compute
    /// <c>1 - beta</c> from the hyper-parameter as written (0.999, not float32's 0.99900001), as Keras' float64 formulas do
    /// (issue #21), so their resumed weights differ from 0.1.0's in the last digits: within 1e-4, relative.
    /// </remarks>
    [Theory]
    [InlineData("dense_adam", false)]
    [InlineData("conv_sgd", true)]
    [InlineData("binary_rmsprop", false)]
    public void Fit_AfterLoadingV010File_ReachesTheWeightsV010Reached(string name, bool sameBits)
    {
        SafeTensorsFile expected = SafeTensors.Load(Path.Combine(s_folder, name + ".expected.safetensors"));
        Model model = Model.Load(Path.Combine(s_folder, name + ".safetensors"));
        model.Fit(expected["x"], expected["y"], epochs: 1, batchSize: 8, verbose: 0, seed: 77);
        IReadOnlyList<Tensor> weights = model.GetWeights();
        Assert.Equal(expected.Names.Count(n => n.StartsWith("after_fit/", StringComparison.Ordinal)), weights.Count);
        for (int i = 0; i < weights.Count; i++)
        {
            AssertMatches(expected[$"after_fit/{i}"], weights[i], sameBits && !RunsChangedKernels(name) ? 0 : 1e-4, $"weight {i}");
        }
    }

    [Fact]
    public void Load_V010FileSavedWithoutOptimizer_IsCompiledWithFreshState()
    {
        Sequential model = Sequential.Load(Path.Combine(s_folder, "small_no_optimizer.safetensors"));
        Assert.True(model.IsCompiled);
        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    [Fact]
    public void LoadWeights_V010WeightsFile_GivesTheSavedPredictions()
    {
        SafeTensorsFile expected = SafeTensors.Load(Path.Combine(s_folder, "small_weights.expected.safetensors"));
        var model = new Sequential([new InputLayer(5), new Dense(4, ActivationFunction.Tanh), new Dense(2, ActivationFunction.Softmax)], name: "small", seed: 99);
        model.LoadWeights(Path.Combine(s_folder, "small_weights.safetensors"));
        AssertMatches(expected["predictions"], model.Predict(expected["x"]), 0, "prediction");
    }
}
