using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>The hand-built graphs the import tests share, written as torch.onnx.export writes the modules named.</summary>
internal static class TorchStyleGraphs
{
    /// <summary>
    /// Conv2d(3, 4, 3, padding=1) - ReLU - MaxPool2d(2) - Conv2d(4, 6, 3) - BatchNorm2d - ReLU - AdaptiveAvgPool2d(1) -
    /// Flatten - Linear(6, 5) - Softmax(dim=1), on (N, 3, 8, 8) images.
    /// </summary>
    public static byte[] ConvNet(int seed = 1)
    {
        var g = new OnnxGraphs(seed);
        string x = g.Input("input", -1, 3, 8, 8);
        x = g.Node("Conv", [x, g.Weight([4, 3, 3, 3]), g.Weight([4])], Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 1, 1), Ints("dilations", 1, 1), Int("group", 1));
        x = g.Node("Relu", [x]);
        x = g.Node("MaxPool", [x], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Ints("pads", 0, 0, 0, 0), Int("ceil_mode", 0));
        x = g.Node("Conv", [x, g.Weight([6, 4, 3, 3]), g.Weight([6])], Ints("kernel_shape", 3, 3));
        x = g.Node("BatchNormalization", [x, g.Weight([6]), g.Weight([6]), g.Weight([6]), g.Weight([6], positive: true)], Float("epsilon", 1e-5f), Float("momentum", 0.9f));
        x = g.Node("Relu", [x]);
        x = g.Node("GlobalAveragePool", [x]);
        x = g.Node("Flatten", [x], Int("axis", 1));
        x = g.Node("Gemm", [x, g.Weight([5, 6]), g.Weight([5])], Float("alpha", 1f), Float("beta", 1f), Int("transB", 1));
        x = g.Node("Softmax", [x], Int("axis", 1));
        g.Output(x);
        return g.ToBytes();
    }

    /// <summary>
    /// Linear(10, 16) - ReLU - Dropout - Linear(16, 8) - Tanh - LayerNorm(8) - (x - sigmoid(x)) - Linear(8, 3) - Softmax, with the
    /// Linear layers as MatMul + Add (as PyTorch writes them on some inputs) and the last as Gemm.
    /// </summary>
    public static byte[] Mlp(int seed = 2)
    {
        var g = new OnnxGraphs(seed);
        string x = g.Input("features", -1, 10);
        x = g.Node("Add", [g.Node("MatMul", [x, g.Weight([10, 16])]), g.Weight([16])]);
        x = g.Node("Relu", [x]);
        x = g.Node("Dropout", [x]);
        x = g.Node("Add", [g.Weight([8]), g.Node("MatMul", [x, g.Weight([16, 8])])]);
        x = g.Node("Tanh", [x]);
        x = g.Node("LayerNormalization", [x, g.Weight([8], positive: true), g.Weight([8])], Int("axis", -1), Float("epsilon", 1e-5f));
        x = g.Node("Sub", [x, g.Node("Sigmoid", [x])]);
        x = g.Node("Gemm", [x, g.Weight([3, 8]), g.Weight([3])], Int("transB", 1));
        x = g.Node("Softmax", [x]);
        g.Output(x);
        return g.ToBytes();
    }
}
