using System.Text.Json.Nodes;
using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class EinsumDenseTests
{
    // Keras' einsum_dense_test.py test_einsum_dense_basics: equation, bias_axes, input shape (batch first), output_shape,
    // and the kernel, bias and output shapes Keras expects.
    public static TheoryData<string, string?, int[], int[], int[], int[]?, int[]> KerasCases => new()
    {
        { "ab,b->a", null, [2, 32], [], [32], null, [2] },
        { "ab,bc->ac", null, [2, 32], [64], [32, 64], null, [2, 64] },
        { "abc,cde->abde", null, [2, 1, 2], [1, 3, 4], [2, 3, 4], null, [2, 1, 3, 4] },
        { "abc,cde->abde", "e", [2, 1, 2], [1, 3, 4], [2, 3, 4], [4], [2, 1, 3, 4] },
        { "abc,cde->abde", "d", [2, 1, 2], [1, 3, 4], [2, 3, 4], [3, 1], [2, 1, 3, 4] },
        { "abc,cde->abde", "be", [2, 7, 2], [7, 3, 4], [2, 3, 4], [7, 1, 4], [2, 7, 3, 4] },
        { "BFNH,NHD->BFD", null, [2, 1, 2, 3], [1, 4], [2, 3, 4], null, [2, 1, 4] },
        { "abc,cd->abd", null, [2, 1, 2], [1, 4], [2, 4], null, [2, 1, 4] },
        { "i,d->id", null, [2], [2], [2], null, [2, 2] },
        { "ibd,nd->ibn", null, [2, 2, 1], [2, 2], [2, 1], null, [2, 2, 2] },
        { "...b,bc->...c", null, [2, 32], [64], [32, 64], null, [2, 64] },
        { "...bc,bc->...b", null, [2, 32, 64], [32], [32, 64], null, [2, 32] },
        { "...b,bc->...c", null, [2, 3, 32], [64], [32, 64], null, [2, 3, 64] },
        { "...c,cde->...de", null, [2, 1, 2], [3, 4], [2, 3, 4], null, [2, 1, 3, 4] },
        { "...c,cde->...de", "e", [2, 1, 2], [3, 4], [2, 3, 4], [4], [2, 1, 3, 4] },
        { "...c,cde->...de", "d", [2, 1, 2], [3, 4], [2, 3, 4], [3, 1], [2, 1, 3, 4] },
        { "...c,cde->...de", "de", [2, 1, 2], [3, 4], [2, 3, 4], [3, 4], [2, 1, 3, 4] },
        { "bc...,cd->bd...", null, [2, 1, 2, 3], [4], [1, 4], null, [2, 4, 2, 3] },
        { "bc...,cde->bde...", null, [2, 1, 2], [3, 4], [1, 3, 4], null, [2, 3, 4, 2] },
        { "bc...,cde->bde...", "d", [2, 1, 2], [3, 4], [1, 3, 4], [3, 1, 1], [2, 3, 4, 2] },
        { "bc...,cde->bde...", "e", [2, 1, 2], [3, 4], [1, 3, 4], [4, 1], [2, 3, 4, 2] },
        { "bc...,cde->bde...", "de", [2, 1, 2], [3, 4], [1, 3, 4], [3, 4, 1], [2, 3, 4, 2] },
    };

    // Cases beyond Keras' table: operands out of order (copies), a label only in the input (summed), the batch in the middle of A.
    public static TheoryData<string, string?, int[], int[]> ReorderingCases => new()
    {
        { "abc,cd->adb", "d", [3, 4, 5], [6, 4] },
        { "abc,dc->abd", "bd", [2, 3, 4], [3, 5] },
        { "abcd,dbe->aec", "ec", [2, 3, 4, 5], [6, 4] },
        { "abc,c->ab", "b", [3, 4, 5], [4] },
        { "abc,bd->ad", null, [2, 3, 4], [5] },
        { "...bc,bc->...b", "b", [3, 4, 5], [4] },
        { "abc,bcd->abd", "d", [2, 3, 4], [3, 5] },
    };

    [Theory]
    [MemberData(nameof(KerasCases))]
    public void Shapes_match_Keras_test_table(string equation, string? biasAxes, int[] input, int[] outputShape, int[] kernel, int[]? bias, int[] output)
    {
        var layer = new EinsumDense(equation, [.. outputShape.Select(d => (int?)d)], biasAxes: biasAxes);
        layer.Build(new TensorShape(input[1..]));

        Assert.Equal(kernel, layer.Kernel.Shape.Dimensions.ToArray());
        Assert.Equal(bias, layer.Bias?.Shape.Dimensions.ToArray());
        Assert.Equal(output[1..], layer.OutputShape.Dimensions.ToArray());
        Assert.Equal(output, layer.Forward(Tensor.RandomNormal(new TensorShape(input), 1), false).Shape.Dimensions.ToArray());
    }

    [Theory]
    [MemberData(nameof(KerasCases))]
    public void Forward_is_the_einsum_plus_bias_in_float64(string equation, string? biasAxes, int[] input, int[] outputShape, int[] kernel, int[]? bias, int[] output)
    {
        _ = (kernel, bias, output);
        AssertForwardMatchesReference(equation, biasAxes, input, [.. outputShape.Select(d => (int?)d)]);
    }

    [Theory]
    [MemberData(nameof(ReorderingCases))]
    public void Forward_matches_the_einsum_when_operands_are_reordered(string equation, string? biasAxes, int[] input, int[] outputShape) =>
        AssertForwardMatchesReference(equation, biasAxes, input, [.. outputShape.Select(d => (int?)d)]);

    [Theory]
    [MemberData(nameof(KerasCases))]
    public void Backward_matches_numerical_gradients(string equation, string? biasAxes, int[] input, int[] outputShape, int[] kernel, int[]? bias, int[] output)
    {
        _ = (kernel, output);
        var layer = new EinsumDense(equation, [.. outputShape.Select(d => (int?)d)], ActivationFunction.Tanh, biasAxes) { Seed = 3 };
        layer.Build(new TensorShape(input[1..]));
        RandomizeBias(layer, 4);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(input), 5), seed: 6).AssertPassed(maxKinkFraction: 0);
        Assert.Equal(bias is null ? 1 : 2, layer.Parameters.Count);
    }

    [Theory]
    [MemberData(nameof(ReorderingCases))]
    public void Backward_matches_numerical_gradients_when_operands_are_reordered(string equation, string? biasAxes, int[] input, int[] outputShape)
    {
        var layer = new EinsumDense(equation, [.. outputShape.Select(d => (int?)d)], ActivationFunction.Sigmoid, biasAxes) { Seed = 7 };
        layer.Build(new TensorShape(input[1..]));
        RandomizeBias(layer, 8);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(input), 9), seed: 10).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Operands_in_Keras_projection_order_are_used_in_place_and_others_are_copied()
    {
        (bool Input, bool Kernel, bool Output) InPlace(string equation, int?[] outputShape, params int[] sample)
        {
            var layer = new EinsumDense(equation, outputShape);
            layer.Build(new TensorShape(sample));
            EinsumContraction contraction = layer.Contraction;
            return (contraction.InputInPlace, contraction.KernelInPlace, contraction.OutputInPlace);
        }

        Assert.Equal((true, true, true), InPlace("abc,cde->abde", [null, 8, 16], 10, 32));
        Assert.Equal((true, true, true), InPlace("abcd,cde->abe", [null, 32], 10, 8, 16));
        Assert.Equal((true, true, false), InPlace("abc,cd->adb", [6, null], 4, 5));
        Assert.Equal((true, false, false), InPlace("abcd,dce->aeb", [4, null], 3, 5, 6));
        Assert.Equal((true, false, true), InPlace("abc,bd->ad", [5], 3, 4)); // c is summed from the input alone: B broadcasts along it
    }

    [Fact]
    public void A_bias_axis_left_to_the_input_in_output_shape_is_refused_as_Keras_cannot_build_it()
    {
        var layer = new EinsumDense("abc,cde->abde", [null, 3, 4], biasAxes: "bde", name: "proj");
        var error = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(7, 2)));
        Assert.Contains("bias axis 'b' of equation 'abc,cde->abde' is None in output_shape", error.Message, StringComparison.Ordinal);
        Assert.Contains("give that axis' size (7)", error.Message, StringComparison.Ordinal);

        var given = new EinsumDense("abc,cde->abde", [7, 3, 4], biasAxes: "bde");
        given.Build(new TensorShape(7, 2));
        Assert.Equal([7, 3, 4], given.Bias!.Shape.Dimensions.ToArray());
    }

    [Theory]
    [InlineData("abc,cde->abde", new[] { 3, 4 }, new[] { -1, 2, 3 })]
    [InlineData("abcd,dce->aeb", new[] { 3, 5, 6 }, new[] { 4, -1 })]
    public void A_discarded_gradient_is_overwritten_and_a_held_one_added_to(string equation, int[] sample, int[] outputShape)
    {
        // The optimizer discards gradients after a step (the next product overwrites them, GEMM beta 0); otherwise they add up.
        var layer = new EinsumDense(equation, [.. outputShape.Select(d => d < 0 ? null : (int?)d)], biasAxes: null) { Seed = 2 };
        layer.Build(new TensorShape(sample));
        Tensor x = Tensor.RandomNormal(new TensorShape([2, .. sample]), 3);
        Tensor g = Tensor.RandomNormal(new TensorShape([2, .. layer.OutputShape.Dimensions]), 4);
        layer.Kernel.ZeroGradient();
        layer.Forward(x, training: true);
        layer.Backward(g);
        float[] once = layer.Kernel.Gradient.ToArray();

        layer.Forward(x, training: true);
        layer.Backward(g);
        Assert.Equal(once.Select(v => v + v), layer.Kernel.Gradient.ToArray());

        layer.Kernel.DiscardGradient();
        layer.Forward(x, training: true);
        layer.Backward(g);
        Assert.Equal(once, layer.Kernel.Gradient.ToArray());
    }

    [Fact]
    public void Dense_equation_gives_Dense_bits()
    {
        var einsum = new EinsumDense("ab,bc->ac", 7, ActivationFunction.Relu, biasAxes: "c");
        var dense = new Dense(7, ActivationFunction.Relu);
        einsum.Build(new TensorShape(13));
        dense.Build(new TensorShape(13));
        Tensor.RandomNormal(einsum.Kernel.Shape, 1).AsReadOnlySpan().CopyTo(einsum.Kernel.Value.AsSpan());
        einsum.Kernel.Value.AsReadOnlySpan().CopyTo(dense.Kernel.Value.AsSpan());
        Tensor.RandomNormal(einsum.Bias!.Shape, 2).AsReadOnlySpan().CopyTo(einsum.Bias.Value.AsSpan());
        einsum.Bias.Value.AsReadOnlySpan().CopyTo(dense.Bias!.Value.AsSpan());
        Tensor x = Tensor.RandomNormal(new TensorShape(9, 13), 3);

        Assert.Equal(dense.Forward(x, true).ToArray(), einsum.Forward(x, true).ToArray());
        Tensor dy = Tensor.RandomNormal(new TensorShape(9, 7), 4);
        Assert.Equal(dense.Backward(dy).ToArray(), einsum.Backward(dy).ToArray());
        Assert.Equal(dense.Kernel.Gradient.ToArray(), einsum.Kernel.Gradient.ToArray());
        Assert.Equal(dense.Bias.Gradient.ToArray(), einsum.Bias.Gradient.ToArray());
    }

    [Property(Replay = "(20261205,3)", MaxTest = 80)]
    public void Strided_copy_matches_its_reference(long seed)
    {
        var random = new SeededRandom(seed);
        int rank = random.NextInt(5);
        int[] dims = [.. Enumerable.Range(0, rank).Select(_ => random.NextInt(4) + 1)];
        int[] sourceStrides = Strides(dims, random), destinationStrides = Strides(dims, random);
        int sourceLength = 1 + dims.Select((d, i) => (d - 1) * sourceStrides[i]).Sum();
        int destinationLength = 1 + dims.Select((d, i) => (d - 1) * destinationStrides[i]).Sum();
        float[] source = [.. Enumerable.Range(0, sourceLength).Select(_ => random.NextNormal())];
        float[] initial = [.. Enumerable.Range(0, destinationLength).Select(_ => random.NextNormal())];
        foreach (bool accumulate in new[] { false, true })
        {
            float[] actual = [.. initial], expected = [.. initial];
            StridedCopy.Run(source, sourceStrides, dims, actual, destinationStrides, accumulate);
            StridedCopy.RunReference(source, sourceStrides, dims, expected, destinationStrides, accumulate);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Strided_copy_broadcasts_and_sums_on_zero_strides()
    {
        float[] row = [1, 2, 3], grid = new float[6];
        StridedCopy.Run(row, [0, 1], [2, 3], grid, [3, 1], accumulate: false);
        Assert.Equal([1f, 2, 3, 1, 2, 3], grid);

        float[] sums = new float[3];
        StridedCopy.Run(grid, [3, 1], [2, 3], sums, [0, 1], accumulate: true);
        Assert.Equal([2f, 4, 6], sums);

        Assert.Throws<ArgumentException>(() => StridedCopy.Run(row, [1, 1], [2, 3], grid, [3, 1], accumulate: false));
    }

    [Theory]
    [InlineData("ab,bc", "Invalid einsum equation 'ab,bc'")]
    [InlineData("ab,bc->ac,", "Invalid einsum equation")]
    [InlineData("a...b,bc->ac", "Invalid einsum equation")]
    [InlineData("b...,bc->ac...", "Invalid einsum equation")]
    [InlineData("aab,bc->ac", "repeats a label in its input part 'aab'")]
    [InlineData("ab,bc->ad", "dimension 'd' was specified in the output 'ad'")]
    [InlineData("ab,bce->ac", "weight dimension 'e' did not have a match")]
    public void Malformed_equations_are_refused_by_the_constructor(string equation, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new EinsumDense(equation, 4));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal("equation", error.ParamName);
    }

    [Fact]
    public void Bad_bias_axes_and_sizes_are_refused_naming_them()
    {
        Assert.Contains("bias dimension 'x' was requested, but is not part of the output spec 'ac'",
            Assert.Throws<ArgumentException>(() => new EinsumDense("ab,bc->ac", 4, biasAxes: "x")).Message, StringComparison.Ordinal);
        Assert.Contains("bias_axes is empty", Assert.Throws<ArgumentException>(() => new EinsumDense("ab,bc->ac", 4, biasAxes: "")).Message, StringComparison.Ordinal);
        Assert.Contains("output_shape[1] is 0", Assert.Throws<ArgumentOutOfRangeException>(() => new EinsumDense("abc,cd->abd", [null, 0])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc,cd->abd", new[] { 5, 3 }, new[] { 4 }, "output_shape has 1 entries but equation 'abc,cd->abd' on input (None, 5, 3) needs 2")]
    [InlineData("abc,cd->abd", new[] { 5, 3 }, new[] { 6, 4 }, "do not match at shared dimension 'b'. Input shape is 5, and output shape is 6")]
    [InlineData("abc,cd->abd", new[] { 5 }, new[] { 5, 4 }, "describes 3 input axes (the batch axis included) but the input (None, 5) has 2")]
    [InlineData("abc,cd->bad", new[] { 5, 3 }, new[] { 5, 4 }, "the batch axis 'a' (the input's first) must be the output's first axis")]
    [InlineData("abc,acd->abd", new[] { 5, 3 }, new[] { 5, 4 }, "must not be a kernel axis")]
    [InlineData("abc,cd->abd", new[] { 5, 3 }, new[] { -1, -1 }, "output axis 'd' of equation 'abc,cd->abd' is a kernel axis, so output_shape must give its size")]
    public void Shapes_that_do_not_fit_the_equation_are_refused_at_build(string equation, int[] sample, int[] outputShape, string message)
    {
        var layer = new EinsumDense(equation, [.. outputShape.Select(d => d < 0 ? null : (int?)d)], name: "proj");
        var error = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(sample)));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("EinsumDense 'proj'", error.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);
    }

    [Fact]
    public void Bias_on_the_batch_axis_is_refused()
    {
        var layer = new EinsumDense("abc,cd->abd", [null, 4], biasAxes: "ad");
        Assert.Contains("includes the batch axis 'a'", Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(5, 3))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Keras_config_loads_with_an_integer_or_a_list_output_shape()
    {
        var one = (EinsumDense)SerializationRegistry.Deserialize<Layer>(JsonNode.Parse("""
            {"class_name": "EinsumDense", "config": {"name": "q", "trainable": true, "dtype": "float32", "output_shape": 64,
             "equation": "ab,bc->ac", "activation": "relu", "bias_axes": "c", "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
             "bias_initializer": "zeros", "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
             "kernel_constraint": null, "bias_constraint": null, "quantization_config": null}}
            """)!, new Config(), "layer");
        Assert.Equal([64], one.PartialOutputShape.Select(d => d ?? -1));
        Assert.Equal("c", one.BiasAxes);
        Assert.IsType<Relu>(one.Activation);

        var heads = (EinsumDense)SerializationRegistry.Deserialize<Layer>(JsonNode.Parse("""
            {"class_name": "EinsumDense", "config": {"name": "key", "output_shape": [null, 2, 8], "equation": "abc,cde->abde", "bias_axes": "de"}}
            """)!, new Config(), "layer");
        heads.Build(new TensorShape(5, 16));
        Assert.Equal([5, 2, 8], heads.OutputShape.Dimensions.ToArray());
        Assert.Equal([2, 8], heads.Bias!.Shape.Dimensions.ToArray());
        Assert.Null(heads.PartialOutputShape[0]);
        Assert.Contains("\"output_shape\":[null,2,8]", heads.GetConfig().ToJson().Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_made_in_memory_reads_back()
    {
        // Clone and the wrappers rebuild a layer from GetConfig without a JSON text in between.
        var layer = new EinsumDense("abc,cde->abde", [null, 2, 3], ActivationFunction.Relu, "de", name: "heads");
        var copy = (EinsumDense)SerializationRegistry.Deserialize<Layer>(SerializationRegistry.Serialize(layer), new Config(), "layer");
        Assert.Equal(layer.GetConfig().ToJson(), copy.GetConfig().ToJson());
        Assert.Equal([null, 2, 3], copy.PartialOutputShape);
    }

    [Theory]
    [InlineData("\"quantization_config\": {}", "\"quantization_config\" is set")]
    [InlineData("\"output_shape\": [0]", "\"output_shape\"[0] must be a positive integer or null but is 0")]
    [InlineData("\"output_shape\": \"x\"", "\"output_shape\" must be a positive integer or null")]
    public void Configs_asking_for_what_the_layer_does_not_do_are_refused(string entry, string message)
    {
        string json = $$$"""{"class_name": "EinsumDense", "config": {"name": "e", "equation": "ab,bc->ac", "output_shape": [3], {{{entry}}}}}""".Replace("\"output_shape\": [3], \"output_shape\"", "\"output_shape\"", StringComparison.Ordinal);
        var error = Assert.Throws<InvalidDataException>(() => SerializationRegistry.Deserialize<Layer>(JsonNode.Parse(json)!, new Config(), "layer"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Saved_models_load_with_the_same_bits()
    {
        Sequential model = LayerTestKit.TrainedModel([6, 5], 3,
            new EinsumDense("abc,cde->abde", [null, 2, 3], new Gelu(), "de"),
            new EinsumDense("abcd,cde->abe", [null, 4], biasAxes: "e"),
            new EinsumDense("abc,cd->adb", [3, 6], biasAxes: "db"));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([6, 5], 4).X);
    }

    [Fact]
    public void Training_steps_allocate_nothing() =>
        LayerTestKit.AssertTrainingAllocatesNothing([6, 5],
            new EinsumDense("abc,cde->abde", [null, 2, 3], ActivationFunction.Tanh, "de"),
            new EinsumDense("abcd,dce->aeb", [4, 6], biasAxes: "eb"));

    [Fact]
    public void Training_gives_the_same_bits_with_one_and_two_threads() =>
        LayerTestKit.AssertSameBitsWithOneAndTwoThreads([12, 40], () =>
        [
            new EinsumDense("abc,cde->abde", [null, 4, 32], ActivationFunction.Relu, "de"),
            new EinsumDense("abcd,dce->aeb", [48, null], biasAxes: "e"),
        ]);

    [Fact]
    public void A_softmax_EinsumDense_trains_with_the_fused_cross_entropy_gradient()
    {
        var model = new Sequential([new InputLayer(5), new EinsumDense("ab,bc->ac", 3, ActivationFunction.Softmax, "c")], seed: 2);
        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
        Tensor x = Tensor.RandomNormal(new TensorShape(32, 5), 3);
        float[] labels = new float[32 * 3];
        for (int i = 0; i < 32; i++)
        {
            labels[(i * 3) + (x.AsReadOnlySpan()[i * 5] > 0 ? 0 : 1)] = 1;
        }

        Tensor y = Tensor.FromArray(labels, 32, 3);
        double before = model.Evaluate(x, y, verbose: 0)["loss"];
        model.Fit(x, y, epochs: 20, batchSize: 8, verbose: 0);
        Assert.True(model.Evaluate(x, y, verbose: 0)["loss"] < before * 0.7, $"loss {before} did not fall by 30 %");
    }

    private static int[] Strides(int[] dims, SeededRandom random)
    {
        // Random layouts: contiguous, permuted, padded or broadcast (stride 0).
        var strides = new int[dims.Length];
        int stride = 1;
        foreach (int axis in Enumerable.Range(0, dims.Length).OrderBy(_ => random.NextInt(100)))
        {
            strides[axis] = random.NextInt(6) == 0 ? 0 : stride;
            stride *= dims[axis] + random.NextInt(2);
        }

        return strides;
    }

    private static void RandomizeBias(EinsumDense layer, long seed)
    {
        if (layer.Bias is Parameter bias)
        {
            Tensor.RandomNormal(bias.Shape, seed).AsReadOnlySpan().CopyTo(bias.Value.AsSpan());
        }
    }

    private static void AssertForwardMatchesReference(string equation, string? biasAxes, int[] input, int?[] outputShape)
    {
        var layer = new EinsumDense(equation, outputShape, biasAxes: biasAxes) { Seed = 1 };
        layer.Build(new TensorShape(input[1..]));
        RandomizeBias(layer, 2);
        Tensor x = Tensor.RandomNormal(new TensorShape(input), 3);
        float[] y = layer.Forward(x, false).ToArray();

        double[] expected = ReferenceEinsum(ExpandEllipsis(equation, x.Shape.Rank), x, layer.Kernel.Value, [x.Shape[0], .. layer.OutputShape.Dimensions]);
        if (layer.Bias is Parameter bias)
        {
            AddBroadcast(expected, [x.Shape[0], .. layer.OutputShape.Dimensions], bias.Value.ToArray(), bias.Shape.Dimensions.ToArray());
        }

        Assert.Equal(expected.Length, y.Length);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"{equation} element {i}: {y[i]} instead of {expected[i]}");
        }
    }

    // numpy's rule, independently of the layer: "..." stands for the input axes its letters leave, written here as digits
    // (the reference only needs distinct characters), in the same places in the input and the output.
    private static string ExpandEllipsis(string equation, int inputRank)
    {
        if (!equation.Contains("...", StringComparison.Ordinal))
        {
            return equation;
        }

        string input = equation.Split(',')[0];
        int elided = inputRank - (input.Length - 3);
        string axes = new([.. Enumerable.Range(0, elided).Select(i => (char)('0' + i))]);
        return equation.Replace("...", axes, StringComparison.Ordinal);
    }

    // out[o] = Σ over every label assignment of x[..] · w[..], in float64: the definition, one assignment at a time.
    private static double[] ReferenceEinsum(string equation, Tensor x, Tensor w, int[] outputDims)
    {
        string[] parts = equation.Split("->");
        string[] operands = parts[0].Split(',');
        string input = operands[0], kernel = operands[1], output = parts[1];
        var size = new Dictionary<char, int>();
        for (int i = 0; i < input.Length; i++)
        {
            size[input[i]] = x.Shape[i];
        }

        for (int i = 0; i < kernel.Length; i++)
        {
            size[kernel[i]] = w.Shape[i];
        }

        char[] labels = [.. size.Keys];
        int total = labels.Aggregate(1, (p, l) => p * size[l]);
        var result = new double[outputDims.Aggregate(1, (p, d) => p * d)];
        float[] xs = x.ToArray(), ws = w.ToArray();
        var value = new Dictionary<char, int>();
        for (int flat = 0; flat < total; flat++)
        {
            int remainder = flat;
            foreach (char label in labels)
            {
                value[label] = remainder % size[label];
                remainder /= size[label];
            }

            int Offset(string spec, Func<int, int> dim) => spec.Select((l, i) => (l, i)).Aggregate(0, (o, p) => (o * dim(p.i)) + value[p.l]);
            result[Offset(output, i => outputDims[i])] += (double)xs[Offset(input, i => x.Shape[i])] * ws[Offset(kernel, i => w.Shape[i])];
        }

        return result;
    }

    private static void AddBroadcast(double[] target, int[] dims, float[] bias, int[] biasDims)
    {
        int offset = dims.Length - biasDims.Length;
        for (int flat = 0; flat < target.Length; flat++)
        {
            int remainder = flat, biasIndex = 0, biasStride = 1;
            for (int axis = dims.Length - 1; axis >= offset; axis--)
            {
                int i = remainder % dims[axis];
                remainder /= dims[axis];
                int b = axis - offset;
                biasIndex += (biasDims[b] == 1 ? 0 : i) * biasStride;
                biasStride *= biasDims[b];
            }

            target[flat] += bias[biasIndex];
        }
    }
}
