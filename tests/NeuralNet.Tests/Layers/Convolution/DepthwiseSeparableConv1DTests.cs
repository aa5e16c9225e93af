using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

public class DepthwiseSeparableConv1DTests
{
    // (kernel, stride, same, depthMultiplier, dilation, steps)
    public static TheoryData<int, int, bool, int, int, int> Cases => new()
    {
        { 3, 1, true, 2, 1, 7 },
        { 3, 2, true, 2, 1, 8 },
        { 3, 1, false, 1, 1, 6 },
        { 2, 2, false, 3, 1, 7 },
        { 3, 1, true, 1, 2, 7 },
        { 2, 1, false, 2, 3, 9 },
        { 4, 3, true, 1, 1, 10 },
        { 4, 1, true, 2, 2, 5 },
    };

    // Keras' basic cases (keras/src/layers/convolutional/depthwise_conv_test.py, test_depthwise_conv1d_basic):
    // (depthMultiplier, kernel, strides, same, dilation, input (batch, steps, channels), output).
    public static TheoryData<int, int, int, bool, int, int[], int[]> KerasDepthwiseShapes => new()
    {
        { 5, 2, 1, false, 1, [3, 5, 4], [3, 4, 20] },
        { 6, 2, 1, true, 2, [3, 4, 4], [3, 4, 24] },
        { 6, 2, 2, false, 1, [3, 5, 4], [3, 2, 24] },
    };

    // Keras' basic cases (keras/src/layers/convolutional/separable_conv_test.py, test_separable_conv1d_basic), filters = depthMultiplier.
    public static TheoryData<int, int, int, bool, int, int[], int[]> KerasSeparableShapes => new()
    {
        { 5, 2, 1, false, 1, [3, 5, 4], [3, 4, 5] },
        { 6, 2, 1, true, 2, [3, 4, 4], [3, 4, 6] },
        { 6, 2, 2, false, 1, [3, 5, 4], [3, 2, 6] },
    };

    // Keras (np_depthwise_conv1d in depthwise_conv_test.py): y[n, o, c*M + m] = bias + Σ_j xpad[n, o*s + j*d, c] * kernel[j, c, m],
    // 'same' giving ceil(steps / s) outputs with the padding split evenly, the odd step after.
    private static double[] DepthwiseReference(Tensor x, Tensor kernel, Tensor? bias, int stride, bool same, int dilation, out int outSteps)
    {
        int batch = x.Shape[0], steps = x.Shape[1], c = x.Shape[2], k = kernel.Shape[0], m = kernel.Shape[2], span = ((k - 1) * dilation) + 1;
        outSteps = same ? (steps + stride - 1) / stride : ((steps - span) / stride) + 1;
        int before = same ? Math.Max(((outSteps - 1) * stride) + span - steps, 0) / 2 : 0;
        var y = new double[batch * outSteps * c * m];
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < outSteps; o++)
            {
                for (int ci = 0; ci < c; ci++)
                {
                    for (int mi = 0; mi < m; mi++)
                    {
                        double sum = bias is null ? 0 : bias[(ci * m) + mi];
                        for (int j = 0; j < k; j++)
                        {
                            int t = (o * stride) + (j * dilation) - before;
                            if (t >= 0 && t < steps)
                            {
                                sum += (double)x[n, t, ci] * kernel[j, ci, mi];
                            }
                        }

                        y[(((((n * outSteps) + o) * c) + ci) * m) + mi] = sum;
                    }
                }
            }
        }

        return y;
    }

    [Theory]
    [MemberData(nameof(KerasDepthwiseShapes))]
    public void Depthwise_KerasTestCases_GiveKerasOutputShapes(int multiplier, int kernel, int strides, bool same, int dilation, int[] input, int[] output)
    {
        var layer = new DepthwiseConv1D(kernel, strides, same ? Padding.Same : Padding.Valid, multiplier, dilation);
        layer.Build(new TensorShape(input[1..]));
        Assert.Equal(output[1..], layer.OutputShape.Dimensions.ToArray());
        Assert.Equal(2, layer.Parameters.Count);
        Assert.Equal(output, layer.Forward(Tensor.RandomNormal(new TensorShape(input), 1), training: false).Shape.Dimensions.ToArray());
    }

    [Theory]
    [MemberData(nameof(KerasSeparableShapes))]
    public void Separable_KerasTestCases_GiveKerasOutputShapes(int multiplier, int kernel, int strides, bool same, int dilation, int[] input, int[] output)
    {
        var layer = new SeparableConv1D(multiplier, kernel, strides, same ? Padding.Same : Padding.Valid, multiplier, dilation);
        layer.Build(new TensorShape(input[1..]));
        Assert.Equal(output[1..], layer.OutputShape.Dimensions.ToArray());
        Assert.Equal(3, layer.Parameters.Count);
        Assert.Equal(output, layer.Forward(Tensor.RandomNormal(new TensorShape(input), 1), training: false).Shape.Dimensions.ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Depthwise_Forward_MatchesKerasFormulaInFloat64(int kernel, int stride, bool same, int multiplier, int dilation, int steps)
    {
        DepthwiseConv1D layer = BuiltDepthwise(kernel, stride, same, multiplier, dilation, steps, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, steps, 3), 4);
        Tensor y = layer.Forward(x, training: false);
        double[] expected = DepthwiseReference(x, layer.Kernel.Value, layer.Bias!.Value, stride, same, dilation, out int outSteps);
        Assert.Equal([2, outSteps, 3 * multiplier], y.Shape.Dimensions.ToArray());
        Assert.Equal([kernel, 3, multiplier], layer.Kernel.Shape.Dimensions.ToArray());
        ConvolutionTestKit.AssertClose(expected.Select(Math.Tanh).ToArray(), y.AsReadOnlySpan());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Depthwise_Backward_MatchesNumericalGradients(int kernel, int stride, bool same, int multiplier, int dilation, int steps)
    {
        DepthwiseConv1D layer = BuiltDepthwise(kernel, stride, same, multiplier, dilation, steps, ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, steps, 3), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Separable_Forward_IsDepthwiseThenPointwiseInFloat64(int kernel, int stride, bool same, int multiplier, int dilation, int steps)
    {
        SeparableConv1D layer = BuiltSeparable(kernel, stride, same, multiplier, dilation, steps, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, steps, 3), 4);
        Tensor y = layer.Forward(x, training: false);
        double[] depthwise = DepthwiseReference(x, layer.DepthwiseKernel.Value, null, stride, same, dilation, out int outSteps);
        int e = 3 * multiplier;
        Assert.Equal([kernel, 3, multiplier], layer.DepthwiseKernel.Shape.Dimensions.ToArray());
        Assert.Equal([1, e, 4], layer.PointwiseKernel.Shape.Dimensions.ToArray());
        Assert.Equal([2, outSteps, 4], y.Shape.Dimensions.ToArray());
        var expected = new double[2 * outSteps * 4];
        for (int p = 0; p < 2 * outSteps; p++)
        {
            for (int f = 0; f < 4; f++)
            {
                double sum = layer.Bias!.Value[f];
                for (int i = 0; i < e; i++)
                {
                    sum += depthwise[(p * e) + i] * layer.PointwiseKernel.Value[0, i, f];
                }

                expected[(p * 4) + f] = Math.Tanh(sum);
            }
        }

        ConvolutionTestKit.AssertClose(expected, y.AsReadOnlySpan());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Separable_Backward_MatchesNumericalGradients(int kernel, int stride, bool same, int multiplier, int dilation, int steps)
    {
        SeparableConv1D layer = BuiltSeparable(kernel, stride, same, multiplier, dilation, steps, ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, steps, 3), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void NoBiasAndFusedRelu_MatchNumericalGradients()
    {
        var depthwise = new DepthwiseConv1D(3, 2, Padding.Same, 2, activation: ActivationFunction.Relu, useBias: false) { Seed = 1 };
        depthwise.Build(new TensorShape(7, 2));
        Assert.Null(depthwise.Bias);
        GradientChecker.CheckLayer(depthwise, Tensor.RandomNormal(new TensorShape(2, 7, 2), 3), seed: 4).AssertPassed();
        var separable = new SeparableConv1D(3, 3, padding: Padding.Same, activation: ActivationFunction.Relu, biasInitializer: new RandomNormal(0, 0.5, 2)) { Seed = 1 };
        separable.Build(new TensorShape(6, 2));
        GradientChecker.CheckLayer(separable, Tensor.RandomNormal(new TensorShape(2, 6, 2), 3), seed: 4).AssertPassed();
        var linear = new SeparableConv1D(3, 3, depthMultiplier: 2, useBias: false) { Seed = 1 };
        linear.Build(new TensorShape(6, 2));
        Assert.Null(linear.Bias);
        GradientChecker.CheckLayer(linear, Tensor.RandomNormal(new TensorShape(2, 6, 2), 3), seed: 4).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void KerasWeightNamesShapesAndSaveLoad()
    {
        var depthwise = new DepthwiseConv1D(3, padding: Padding.Same, depthMultiplier: 2, activation: ActivationFunction.Relu, biasInitializer: new RandomNormal(0, 0.5, 1));
        var copy = (DepthwiseConv1D)ConvolutionTestKit.RoundTrip(depthwise, new TensorShape(6, 3));
        Assert.Equal(["kernel", "bias"], depthwise.Parameters.Select(p => p.Name));
        Assert.Equal([3, 3, 2], depthwise.Kernel.Shape.Dimensions.ToArray());
        Assert.Equal([6], depthwise.Bias!.Shape.Dimensions.ToArray());
        Assert.Equal(2, copy.DepthMultiplier);
        Assert.Equal(Padding.Same, copy.Padding);
        Assert.Equal("depthwise_conv1d", depthwise.DefaultNamePrefix);

        var separable = new SeparableConv1D(4, 3, strides: 2, padding: Padding.Same, depthMultiplier: 2, biasInitializer: new RandomNormal(0, 0.5, 1))
        {
            PointwiseConstraint = new MaxNorm(2f, axis: [0, 1]),
        };
        var separableCopy = (SeparableConv1D)ConvolutionTestKit.RoundTrip(separable, new TensorShape(7, 3));
        Assert.Equal(["depthwise_kernel", "pointwise_kernel", "bias"], separable.Parameters.Select(p => p.Name));
        Assert.Equal([3, 3, 2], separable.DepthwiseKernel.Shape.Dimensions.ToArray());
        Assert.Equal([1, 6, 4], separable.PointwiseKernel.Shape.Dimensions.ToArray());
        Assert.Equal([4, 4], separable.OutputShape.Dimensions.ToArray());
        Assert.IsType<MaxNorm>(separableCopy.PointwiseConstraint);
        Assert.Equal("separable_conv1d", separable.DefaultNamePrefix);
        ConvolutionTestKit.RoundTrip(new SeparableConv1D(2, 3, dilationRate: 2, activation: ActivationFunction.Tanh, useBias: false), new TensorShape(9, 2));
        ConvolutionTestKit.RoundTrip(new DepthwiseConv1D(2, dilationRate: 2, useBias: false), new TensorShape(7, 2));
    }

    [Fact]
    public void KerasConfigs_Load()
    {
        // As Keras 3's get_config writes them (base_separable_conv.py / base_depthwise_conv.py): one-element lists.
        const string Glorot = """{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}""";
        const string Zeros = """{"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}""";
        JsonNode separableNode = JsonNode.Parse($$"""
            {"module": "keras.layers", "class_name": "SeparableConv1D", "registered_name": null, "config": {"name": "sep", "trainable": true,
             "filters": 8, "kernel_size": [5], "strides": [2], "padding": "same", "data_format": "channels_last", "dilation_rate": [1],
             "depth_multiplier": 2, "activation": "relu", "use_bias": false, "depthwise_initializer": {{Glorot}}, "pointwise_initializer": {{Glorot}},
             "bias_initializer": {{Zeros}}, "depthwise_regularizer": null, "pointwise_regularizer": null, "bias_regularizer": null,
             "activity_regularizer": null, "depthwise_constraint": null, "pointwise_constraint": null, "bias_constraint": null} }
            """)!;
        var separable = (SeparableConv1D)SerializationRegistry.Deserialize<Layer>(separableNode, new Config(), "layer");
        Assert.Equal((8, 5, 2, Padding.Same, 2, 1, false), (separable.Filters, separable.KernelSize, separable.Strides, separable.Padding, separable.DepthMultiplier, separable.DilationRate, separable.UseBias));
        Assert.IsType<Relu>(separable.Activation);

        JsonNode depthwiseNode = JsonNode.Parse($$"""
            {"module": "keras.layers", "class_name": "DepthwiseConv1D", "registered_name": null, "config": {"name": "dw", "trainable": true,
             "depth_multiplier": 3, "kernel_size": [4], "strides": [1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [2],
             "activation": "linear", "use_bias": true, "depthwise_initializer": {{Glorot}}, "bias_initializer": {{Zeros}},
             "depthwise_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "depthwise_constraint": null, "bias_constraint": null} }
            """)!;
        var depthwise = (DepthwiseConv1D)SerializationRegistry.Deserialize<Layer>(depthwiseNode, new Config(), "layer");
        Assert.Equal((4, 1, Padding.Valid, 3, 2, true), (depthwise.KernelSize, depthwise.Strides, depthwise.Padding, depthwise.DepthMultiplier, depthwise.DilationRate, depthwise.UseBias));
        Assert.Null(depthwise.Activation);

        // A bare integer kernel size is read too; 'causal' is refused, as Keras refuses it for these layers.
        var minimal = (DepthwiseConv1D)SerializationRegistry.Deserialize<Layer>(JsonNode.Parse("""{"class_name": "DepthwiseConv1D", "config": {"name": "c", "kernel_size": 3}}""")!, new Config(), "layer");
        Assert.Equal((3, 1, Padding.Valid, 1), (minimal.KernelSize, minimal.Strides, minimal.Padding, minimal.DepthMultiplier));
        var causal = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "SeparableConv1D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "padding": "causal"}}""")!, new Config(), "layer"));
        Assert.Contains("\"padding\" is \"causal\"; expected \"valid\" or \"same\"", causal.Message, StringComparison.Ordinal);
        var both = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "DepthwiseConv1D", "config": {"name": "c", "kernel_size": 3, "strides": 2, "dilation_rate": 2}}""")!, new Config(), "layer"));
        Assert.Contains("\"strides\" and \"dilation_rate\" cannot both exceed 1", both.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheLayerAndParameter()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DepthwiseConv1D(3, depthMultiplier: 0, name: "dw"));
        Assert.Equal("depthMultiplier", e.ParamName);
        Assert.Contains("DepthwiseConv1D 'dw' expects a positive depth multiplier. Received: depthMultiplier=0.", e.Message, StringComparison.Ordinal);
        var d = Assert.Throws<ArgumentOutOfRangeException>(() => new SeparableConv1D(4, 3, strides: 2, dilationRate: 2, name: "sep"));
        Assert.Contains("SeparableConv1D 'sep' cannot combine strides > 1 with dilationRate > 1", d.Message, StringComparison.Ordinal);
        Assert.Equal("filters", Assert.Throws<ArgumentOutOfRangeException>(() => new SeparableConv1D(0, 3)).ParamName);
        Assert.Equal("kernelSize", Assert.Throws<ArgumentOutOfRangeException>(() => new DepthwiseConv1D(0)).ParamName);
        Assert.Equal("strides", Assert.Throws<ArgumentOutOfRangeException>(() => new SeparableConv1D(2, 3, strides: 0)).ParamName);
        var causal = Assert.Throws<ArgumentOutOfRangeException>(() => new DepthwiseConv1D(3, padding: Padding.Causal, name: "dw"));
        Assert.Contains("DepthwiseConv1D 'dw' expects padding Valid or Same", causal.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeparableConv1D(2, 3, padding: Padding.Causal));
        var big = Assert.Throws<ArgumentException>(() => new DepthwiseConv1D(3, dilationRate: 2, name: "dw").Build(new TensorShape(4, 3)));
        Assert.Contains("DepthwiseConv1D 'dw': a window of 3 taps with dilation 2 spans 5 steps", big.Message, StringComparison.Ordinal);
        var rank = Assert.Throws<ArgumentException>(() => new SeparableConv1D(2, 3, name: "sep").Build(new TensorShape(4, 4, 3)));
        Assert.Contains("SeparableConv1D 'sep' expects input of rank 2 per sample (steps, channels)", rank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        DepthwiseConv1D depthwise = BuiltDepthwise(3, 1, true, 2, 1, 9, ActivationFunction.Tanh);
        ConvolutionTestKit.AssertStepAllocatesNothing(depthwise, Tensor.RandomNormal(new TensorShape(2, 9, 3), 1));
        SeparableConv1D separable = BuiltSeparable(3, 2, true, 2, 1, 9, ActivationFunction.Relu);
        ConvolutionTestKit.AssertStepAllocatesNothing(separable, Tensor.RandomNormal(new TensorShape(2, 9, 3), 1));
    }

    private static DepthwiseConv1D BuiltDepthwise(int kernel, int stride, bool same, int multiplier, int dilation, int steps, ActivationFunction? activation)
    {
        var layer = new DepthwiseConv1D(kernel, stride, same ? Padding.Same : Padding.Valid, multiplier, dilation, activation,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(steps, 3));
        return layer;
    }

    private static SeparableConv1D BuiltSeparable(int kernel, int stride, bool same, int multiplier, int dilation, int steps, ActivationFunction? activation)
    {
        var layer = new SeparableConv1D(4, kernel, stride, same ? Padding.Same : Padding.Valid, multiplier, dilation, activation,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(steps, 3));
        return layer;
    }
}
