using System.Globalization;
using NeuralNet.Activations;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Import;

/// <summary>Relu, Sigmoid, Tanh, LeakyRelu, Elu, Gelu, Softmax and LogSoftmax as NeuralNet Activation, Softmax and LogSoftmax layers; Erf, Sqrt, Exp, Log, Abs and Neg as ElementwiseMath.</summary>
internal static class ActivationImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["Relu"] = (node, graph) => Activation(node, graph, ActivationFunction.Relu);
        all["Sigmoid"] = (node, graph) => Activation(node, graph, ActivationFunction.Sigmoid);
        all["Tanh"] = (node, graph) => Activation(node, graph, ActivationFunction.Tanh);
        all["LeakyRelu"] = LeakyRelu;
        all["Elu"] = Elu;
        all["Gelu"] = Gelu;
        all["Softmax"] = (node, graph) => Softmax(node, graph, log: false);
        all["LogSoftmax"] = (node, graph) => Softmax(node, graph, log: true);
        foreach ((string op, ElementwiseFunction function) in new[]
        {
            ("Erf", ElementwiseFunction.Erf), ("Sqrt", ElementwiseFunction.Sqrt), ("Exp", ElementwiseFunction.Exp),
            ("Log", ElementwiseFunction.Log), ("Abs", ElementwiseFunction.Abs), ("Neg", ElementwiseFunction.Negative),
        })
        {
            all[op] = (node, graph) =>
            {
                _ = new NodeAttributes(node);
                ImportedValue x = graph.Computed(node, 0, "the input");
                graph.Define(node, x.Dims, b => new ElementwiseMath(function).Call(b[x]), x.IsImage);
            };
        }
    }

    private static void Activation(ImportedNode node, ImportGraph graph, ActivationFunction function, params string[] attributes)
    {
        _ = new NodeAttributes(node, attributes);
        ImportedValue x = graph.Computed(node, 0, "the input");
        graph.Define(node, x.Dims, b => new Activation(function).Call(b[x]), x.IsImage);
    }

    private static void LeakyRelu(ImportedNode node, ImportGraph graph)
    {
        // ONNX's default slope is 0.01 (PyTorch's), not Keras' 0.3: the file's value is always passed on.
        float alpha = new NodeAttributes(node, "alpha").Float("alpha", 0.01f);
        if (!(alpha >= 0f) || float.IsInfinity(alpha))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"attribute alpha={alpha}; NeuralNet's leaky ReLU takes a finite slope of at least 0"));
        }

        Activation(node, graph, new LeakyRelu(alpha), "alpha");
    }

    private static void Elu(ImportedNode node, ImportGraph graph)
    {
        float alpha = new NodeAttributes(node, "alpha").Float("alpha", 1f);
        if (!float.IsFinite(alpha))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"attribute alpha={alpha}; ELU takes a finite alpha"));
        }

        Activation(node, graph, new Elu(alpha), "alpha");
    }

    private static void Gelu(ImportedNode node, ImportGraph graph)
    {
        graph.RequireOpset(node, 20);
        string approximate = new NodeAttributes(node, "approximate").String("approximate", "none");
        bool tanh = approximate switch
        {
            "none" => false,
            "tanh" => true,
            _ => throw node.Refuse($"attribute approximate='{approximate}'; Gelu is 'none' (erf) or 'tanh'"),
        };
        Activation(node, graph, new Gelu(tanh), "approximate");
    }

    // Softmax and LogSoftmax.
    private static void Softmax(ImportedNode node, ImportGraph graph, bool log)
    {
        // Opset 13 made Softmax (and LogSoftmax) one axis (default −1); before it, the input is flattened to 2-D around axis (default 1) and
        // the softmax runs over all the axes from it on, which is one axis's softmax only when the others have length 1.
        bool coerced = graph.Opset < 13;
        long axis = new NodeAttributes(node, "axis").Int("axis", coerced ? 1 : -1);
        ImportedValue x = graph.Computed(node, 0, "the input");
        int resolved = ImportLayout.SampleAxis(axis, x.Rank) ?? throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
            $"attribute axis={axis} on an input of dimensions {ImportText.Dims(x.Dims)}; a {(log ? "log-softmax" : "softmax")} over the batch axis, or outside the rank, has no NeuralNet form"));
        if (coerced)
        {
            int[] longer = [.. Enumerable.Range(resolved, x.Rank - resolved).Where(a => x.Dims[a] != 1)];
            resolved = longer.Length switch
            {
                0 => x.Rank - 1,
                1 => longer[0],
                _ => throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                    $"attribute axis={axis} at opset {graph.Opset} takes one {(log ? "log-softmax" : "softmax")} over axes {resolved} to {x.Rank - 1} of {ImportText.Dims(x.Dims)} together (the input flattened to 2-D); NeuralNet.Onnx imports it where that is one axis's {(log ? "log-softmax" : "softmax")} (the last axis, or the others of length 1)")),
            };
        }
        int keras = ImportLayout.KerasAxis(resolved, x.Rank, x.IsImage);
        graph.Define(node, x.Dims, b => log ? new Layers.LogSoftmax(keras).Call(b[x]) : new Layers.Softmax(keras).Call(b[x]), x.IsImage);
    }
}
