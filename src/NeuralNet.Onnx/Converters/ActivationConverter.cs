using NeuralNet.Activations;
using NeuralNet.Layers;
using LogSoftmax = NeuralNet.Activations.LogSoftmax;
using Softmax = NeuralNet.Activations.Softmax;

namespace NeuralNet.Onnx.Converters;

/// <summary>Activation functions as ONNX nodes: their own node after a Dense or convolution that fuses them, or an Activation layer's.</summary>
internal static class ActivationConverter
{
    private const float InverseSqrtTwo = 0.70710678118654752440f;
    private const float SqrtTwoOverPi = 0.79788456080286535588f;
    private const float Cubic = 0.044715f;

    // Keras 3's hard sigmoid, relu6(x + 3) / 6, is ONNX's HardSigmoid max(0, min(1, x / 6 + 0.5)).
    private static Protobuf.AttributeProto HardSigmoidAlpha => OnnxAttribute.Float("alpha", 1f / 6f);

    private static Protobuf.AttributeProto HardSigmoidBeta => OnnxAttribute.Float("beta", 0.5f);

    /// <summary>The opset from which GELU is one ONNX operator (before it, its formula is written out).</summary>
    public const int GeluOpset = 20;

    /// <summary>Whether <paramref name="function"/> has an ONNX form.</summary>
    public static bool IsSupported(ActivationFunction function) =>
        function is Linear or Relu or Sigmoid or Tanh or Softmax or LeakyRelu or Elu or Gelu
            or Selu or Softplus or Softsign or Silu or HardSigmoid or HardSilu or Mish or Relu6 or Exponential or LogSoftmax;

    /// <summary>Applies <paramref name="function"/> to <paramref name="x"/> (any layout; softmax runs over the channels).</summary>
    public static OnnxValue Apply(OnnxGraphBuilder graph, ActivationFunction function, OnnxValue x, Layer layer)
    {
        string[] input = [x.Name];
        return function switch
        {
            Linear => x,
            Relu => graph.Node("Relu", input, x.Shape, x.Layout),
            Sigmoid => graph.Node("Sigmoid", input, x.Shape, x.Layout),
            Tanh => graph.Node("Tanh", input, x.Shape, x.Layout),
            Softmax => graph.Node("Softmax", input, x.Shape, x.Layout, OnnxAttribute.Int("axis", OnnxGraphBuilder.AxisIn(x, x.Rank - 1))),
            LeakyRelu leaky => graph.Node("LeakyRelu", input, x.Shape, x.Layout, OnnxAttribute.Float("alpha", leaky.NegativeSlope)),
            Elu elu => graph.Node("Elu", input, x.Shape, x.Layout, OnnxAttribute.Float("alpha", elu.Alpha)),
            Gelu gelu => ApplyGelu(graph, gelu, x),
            Selu => graph.Node("Selu", input, x.Shape, x.Layout,
                OnnxAttribute.Float("alpha", (float)Selu.Alpha), OnnxAttribute.Float("gamma", (float)Selu.Scale)),
            Softplus => graph.Node("Softplus", input, x.Shape, x.Layout),
            Softsign => graph.Node("Softsign", input, x.Shape, x.Layout),
            Silu => graph.Node("Mul", [x.Name, graph.Node("Sigmoid", input)], x.Shape, x.Layout),
            HardSigmoid => graph.Node("HardSigmoid", input, x.Shape, x.Layout, HardSigmoidAlpha, HardSigmoidBeta),
            HardSilu => graph.Opset >= 14
                ? graph.Node("HardSwish", input, x.Shape, x.Layout)
                : graph.Node("Mul", [x.Name, graph.Node("HardSigmoid", input, HardSigmoidAlpha, HardSigmoidBeta)], x.Shape, x.Layout),
            Mish => graph.Opset >= 18
                ? graph.Node("Mish", input, x.Shape, x.Layout)
                : graph.Node("Mul", [x.Name, graph.Node("Tanh", [graph.Node("Softplus", input)])], x.Shape, x.Layout),
            Relu6 => graph.Node("Clip", [x.Name, graph.Scalar("zero", 0f), graph.Scalar("six", 6f)], x.Shape, x.Layout),
            Exponential => graph.Node("Exp", input, x.Shape, x.Layout),
            LogSoftmax => graph.Node("LogSoftmax", input, x.Shape, x.Layout, OnnxAttribute.Int("axis", OnnxGraphBuilder.AxisIn(x, x.Rank - 1))),
            _ => throw Unsupported(function, layer),
        };
    }

    /// <summary>The error for an activation function without an ONNX form, naming the layer that uses it.</summary>
    public static NotSupportedException Unsupported(ActivationFunction function, Layer layer) =>
        new($"Layer '{layer.Name}' ({layer.TypeName}) uses the activation '{function.Name}' ({function.GetType().FullName}), which has no ONNX form in NeuralNet.Onnx; supported: linear, relu, sigmoid, tanh, softmax, leaky_relu, elu, gelu, selu, softplus, softsign, silu, hard_sigmoid, hard_silu, mish, relu6, exponential, log_softmax.");

    private static OnnxValue ApplyGelu(OnnxGraphBuilder graph, Gelu gelu, OnnxValue x)
    {
        if (graph.Opset >= GeluOpset)
        {
            return graph.Node("Gelu", [x.Name], x.Shape, x.Layout, OnnxAttribute.String("approximate", gelu.Approximate ? "tanh" : "none"));
        }

        // 0.5·x·(1 + erf(x/√2)), or with approximate 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as Keras writes them.
        string inner;
        if (gelu.Approximate)
        {
            string cube = graph.Node("Mul", [graph.Node("Mul", [x.Name, x.Name]), x.Name]);
            string sum = graph.Node("Add", [x.Name, graph.Node("Mul", [cube, graph.Scalar("cubic", Cubic)])]);
            inner = graph.Node("Tanh", [graph.Node("Mul", [sum, graph.Scalar("sqrt_two_over_pi", SqrtTwoOverPi)])]);
        }
        else
        {
            inner = graph.Node("Erf", [graph.Node("Mul", [x.Name, graph.Scalar("inverse_sqrt_two", InverseSqrtTwo)])]);
        }

        string onePlus = graph.Node("Add", [inner, graph.Scalar("one", 1f)]);
        string half = graph.Node("Mul", [x.Name, graph.Scalar("half", 0.5f)]);
        return graph.Node("Mul", [half, onePlus], x.Shape, x.Layout);
    }
}
