using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Import;

/// <summary>BatchNormalization (inference form, with its running statistics) and LayerNormalization over the last axis.</summary>
internal static class NormalizationImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["BatchNormalization"] = BatchNormalization;
        all["LayerNormalization"] = LayerNormalization;
    }

    private static void BatchNormalization(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "epsilon", "momentum", "training_mode");
        if (attributes.Int("training_mode", 0) != 0)
        {
            throw node.Refuse("attribute training_mode=1; NeuralNet.Onnx imports the inference form (export the model in eval mode)");
        }

        ImportedValue x = graph.Computed(node, 0, "X");
        x = x.Rank == 4 ? graph.Image(node, 0, "X") : x;
        if (x.Rank is not (2 or 4))
        {
            throw node.Refuse($"input X has dimensions {ImportText.Dims(x.Dims)}; NeuralNet.Onnx imports batch normalization of (N, C) features or (N, C, H, W) images");
        }

        int channels = (int)x.Dims[1];
        string[] names = ["scale", "B", "input_mean", "input_var"];
        float[][] values = new float[4][];
        for (int i = 0; i < 4; i++)
        {
            OnnxConstant c = graph.Constant(node, i + 1, names[i]);
            values[i] = c.Dims.SequenceEqual([(long)channels]) ? c.ToFloats()
                : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"input {names[i]} has dimensions {c.Shape}, expected [{channels}]"));
        }

        float epsilon = attributes.Float("epsilon", 1e-5f), momentum = attributes.Float("momentum", 0.9f);
        if (!(float.IsFinite(epsilon) && epsilon > 0f) || !(momentum is >= 0f and <= 1f))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"epsilon={epsilon}, momentum={momentum}; NeuralNet's BatchNormalization takes a finite positive epsilon and a momentum in [0, 1]"));
        }

        // ONNX's momentum weighs the old running value, as Keras' does, so fine-tuning updates the statistics alike.
        graph.Define(node, x.Dims, b =>
        {
            var layer = new Layers.BatchNormalization(momentum, epsilon);
            var y = layer.Call(b[x]);
            b.Weight(layer, "gamma", values[0]);
            b.Weight(layer, "beta", values[1]);
            b.Weight(layer, "moving_mean", values[2]);
            b.Weight(layer, "moving_variance", values[3]);
            return y;
        });
    }

    private static void LayerNormalization(ImportedNode node, ImportGraph graph)
    {
        graph.RequireOpset(node, 17);
        var attributes = new NodeAttributes(node, "axis", "epsilon", "stash_type");
        ImportedValue x = graph.Computed(node, 0, "X");
        long axis = attributes.Int("axis", -1);
        if (x.IsImage || (axis != -1 && axis != x.Rank - 1))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"axis={axis} on an input of dimensions {ImportText.Dims(x.Dims)}; NeuralNet.Onnx imports layer normalization over the last axis (not over the width of (N, C, H, W) images)"));
        }

        int features = (int)x.Dims[^1];
        OnnxConstant scale = graph.Constant(node, 1, "Scale");
        float[]? bias = graph.Optional(node, 2) is not null ? graph.Constant(node, 2, "B").Vector(node, features, "B") : null;
        float[] gamma = scale.Vector(node, features, "Scale");
        DefineLayerNormalization(node, graph, x, gamma, bias, attributes.Float("epsilon", 1e-5f));
    }

    /// <summary>
    /// Defines the node's output as a LayerNormalization over the last axis of <paramref name="x"/> (not an image), with
    /// <paramref name="gamma"/> and <paramref name="beta"/> when given (a decomposed LayerNorm may lack either).
    /// </summary>
    public static void DefineLayerNormalization(ImportedNode node, ImportGraph graph, ImportedValue x, float[]? gamma, float[]? beta, float epsilon)
    {
        if (!(float.IsFinite(epsilon) && epsilon > 0f))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"epsilon={epsilon}; NeuralNet's LayerNormalization takes a finite positive epsilon"));
        }

        graph.Define(node, x.Dims, b =>
        {
            var layer = new Layers.LayerNormalization(-1, epsilon, center: beta is not null, scale: gamma is not null);
            var y = layer.Call(b[x]);
            if (gamma is not null)
            {
                b.Weight(layer, "gamma", gamma);
            }

            if (beta is not null)
            {
                b.Weight(layer, "beta", beta);
            }

            return y;
        }, x.IsImage);
    }
}
