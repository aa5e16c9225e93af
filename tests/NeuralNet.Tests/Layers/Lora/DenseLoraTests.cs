using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Lora;

// Keras' Dense.enable_lora (keras/src/layers/core/dense.py): A (inputs, rank) he_uniform, B (rank, units) zeros, the
// kernel made non-trainable, the kernel property kernel + (lora_alpha / lora_rank) · A @ B.
public class DenseLoraTests
{
    private static Dense Built(int inputs, int units, ActivationFunction? activation = null, long seed = 1)
    {
        var dense = new Dense(units, activation, biasInitializer: new RandomNormal(0, 0.5, seed + 7), name: "dense") { Seed = seed };
        dense.Build(new TensorShape(inputs));
        dense.InitializeParameters();
        return dense;
    }

    [Fact]
    public void EnableLora_adds_Keras_weights_and_freezes_the_kernel()
    {
        Dense dense = Built(6, 4);
        Tensor x = TestData.Normal(3, 1f, 5, 6);
        float[] before = dense.Forward(x, training: false).ToArray();

        dense.EnableLora(3);

        Assert.True(dense.LoraEnabled);
        Assert.Equal(3, dense.LoraRank);
        Assert.Equal(3f, dense.LoraAlpha);
        Assert.Equal(["kernel", "bias", "lora_kernel_a", "lora_kernel_b"], dense.Parameters.Select(p => p.Name));
        Assert.Equal(new TensorShape(6, 3), dense.LoraKernelA!.Shape);
        Assert.Equal(new TensorShape(3, 4), dense.LoraKernelB!.Shape);
        Assert.False(dense.Kernel.Trainable);
        Assert.True(dense.Bias!.Trainable && dense.LoraKernelA.Trainable && dense.LoraKernelB.Trainable);

        // he_uniform: U(-limit, limit), limit = sqrt(6 / fan_in), fan_in = 6 for the (6, 3) A; B zeros, so the layer is unchanged.
        float limit = MathF.Sqrt(6f / 6f);
        Assert.All(dense.LoraKernelA.Value.ToArray(), v => Assert.InRange(v, -limit, limit));
        Assert.Contains(dense.LoraKernelA.Value.ToArray(), v => v != 0f);
        Assert.All(dense.LoraKernelB.Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(before, dense.Forward(x, training: false).ToArray());

        // Unfreezing the layer does not make the adapted kernel trainable again.
        dense.Trainable = false;
        dense.Trainable = true;
        Assert.False(dense.Kernel.Trainable);
    }

    [Theory]
    [InlineData(null, 2, 2f)]
    [InlineData("relu", 4, 8f)]
    [InlineData("tanh", 1, 0.5f)]
    public void Forward_equals_a_Dense_with_the_merged_kernel(string? activation, int rank, float alpha)
    {
        ActivationFunction? f = activation is null ? null : SerializationLookup(activation);
        Dense dense = Built(7, 5, f);
        dense.EnableLora(rank, alpha);
        LoraReference.Randomize(dense, 11);
        Tensor x = TestData.Normal(4, 1f, 6, 7);
        float[] y = dense.Forward(x, training: true).ToArray();

        // Against Keras' formula in double loops.
        double[] merged = LoraReference.Merged(dense);
        Tensor mergedKernel = dense.GetMergedWeight();
        for (int i = 0; i < merged.Length; i++)
        {
            Assert.Equal(merged[i], mergedKernel.AsReadOnlySpan()[i], 1e-5);
        }

        // And a plain Dense holding that kernel, within 1e-5: the LoRA layer runs the low-rank form x·W + scale·(x·A)·B.
        Dense plain = Built(7, 5, f);
        mergedKernel.CopyTo(plain.Kernel.Value);
        dense.Bias!.Value.CopyTo(plain.Bias!.Value);
        LoraReference.AssertClose(plain.Forward(x, training: true).AsReadOnlySpan(), y);
        LoraReference.AssertClose(plain.Forward(x, training: false).AsReadOnlySpan(), dense.Forward(x, training: false).AsReadOnlySpan());
    }

    [Theory]
    [InlineData(null, 3, 3f)]
    [InlineData("tanh", 2, 5f)]
    [InlineData("relu", 2, 1f)]
    public void Gradients_of_A_B_and_input_match_central_differences(string? activation, int rank, float alpha)
    {
        ActivationFunction? f = activation is null ? null : SerializationLookup(activation);
        // A rank-3 input: every leading position shares the adapted kernel.
        var dense = new Dense(4, f, biasInitializer: new RandomNormal(0, 0.5, 10), name: "dense") { Seed = 3 };
        dense.Build(new TensorShape(3, 5));
        dense.EnableLora(rank, alpha);
        LoraReference.Randomize(dense, 21);
        GradientCheckReport report = GradientChecker.CheckLayer(dense, TestData.Normal(12, 1f, 2, 3, 5), seed: 13);
        report.AssertPassed();

        // The checker compares every trainable parameter (A, B, the bias) and the input; the frozen kernel is not one.
        Assert.False(dense.Kernel.Trainable);
        Assert.Contains(dense.LoraKernelA!.Gradient.ToArray(), g => g != 0f);
        Assert.Contains(dense.LoraKernelB!.Gradient.ToArray(), g => g != 0f);
    }

    [Fact]
    public void Bad_requests_are_refused_naming_the_layer_before_anything_changes()
    {
        var unbuilt = new Dense(3, name: "head");
        Assert.Contains("Dense 'head' is not built", Assert.Throws<InvalidOperationException>(() => unbuilt.EnableLora(2)).Message, StringComparison.Ordinal);

        Dense dense = Built(4, 3);
        var rank = Assert.Throws<ArgumentOutOfRangeException>(() => dense.EnableLora(0));
        Assert.Contains("Dense 'dense' expects a positive LoRA rank (lora_rank) but got 0", rank.Message, StringComparison.Ordinal);
        Assert.Equal("rank", rank.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => dense.EnableLora(2, float.NaN));
        Assert.False(dense.LoraEnabled);
        Assert.Equal(2, dense.Parameters.Count);
        Assert.True(dense.Kernel.Trainable);

        dense.EnableLora(2);
        var twice = Assert.Throws<InvalidOperationException>(() => dense.EnableLora(2));
        Assert.Contains("Dense 'dense' already has LoRA enabled", twice.Message, StringComparison.Ordinal);
        Assert.Equal(4, dense.Parameters.Count);

        var constrained = new Dense(3, name: "c") { KernelConstraint = new MaxNorm(2f), Seed = 1 };
        constrained.Build(new TensorShape(4));
        Assert.Contains("incompatible with a constraint on the kernel", Assert.Throws<InvalidOperationException>(() => constrained.EnableLora(2)).Message, StringComparison.Ordinal);
        Assert.Equal(2, constrained.Parameters.Count);

        Assert.Throws<ArgumentOutOfRangeException>(() => new Dense(3) { LoraRank = 0 });
    }

    [Fact]
    public void LoraRank_set_before_building_enables_LoRA_at_build_with_its_alpha()
    {
        var dense = new Dense(3, name: "d") { LoraRank = 2, LoraAlpha = 8f, Seed = 4 };
        Assert.False(dense.LoraEnabled);
        Assert.Equal(2, dense.LoraRank);
        dense.Build(new TensorShape(5));
        Assert.True(dense.LoraEnabled);
        Assert.Equal(8f, dense.LoraAlpha);
        Assert.False(dense.Kernel.Trainable);
        string json = dense.GetConfig().ToJson();
        Assert.Contains("\"lora_rank\":2", json, StringComparison.Ordinal);
        Assert.Contains("\"lora_alpha\":8", json, StringComparison.Ordinal);
    }

    private static ActivationFunction SerializationLookup(string name) => name switch
    {
        "relu" => ActivationFunction.Relu,
        "tanh" => ActivationFunction.Tanh,
        _ => throw new ArgumentException(name),
    };
}
