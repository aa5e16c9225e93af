using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras.Tests;

/// <summary>Keras 2 (tf.keras 2.x) <c>.h5</c> files written with h5py for a NeuralNet model of the same layers.</summary>
internal static class Keras2Files
{
    /// <summary>
    /// A Keras 2 .h5 file of <paramref name="model"/>'s layers with seeded random weights (which <paramref name="model"/>
    /// takes too): the model_config given (none for a weights-only file), each layer's weights in <paramref name="group"/>
    /// ("" at the file's root) named as tf.keras 2 named them ("dense/kernel:0", "lstm/lstm_cell/kernel:0"), in the group
    /// <paramref name="groupOf"/> gives a layer (a nested model's) or the layer's own.
    /// </summary>
    public static string Write(Model model, string path, string? modelConfig, string group, long seed, Func<string, string>? groupOf = null)
    {
        var layers = new List<(string, (string, int[], double[])[])>();
        foreach (Layer layer in model.Layers.Where(l => l is not InputLayer))
        {
            string scope = layer is Recurrent ? layer.Name + "/" + layer.Name + "_cell/" : layer.Name + "/";
            var weights = new List<(string, int[], double[])>();
            foreach (Parameter parameter in layer.Parameters)
            {
                Tensor value = parameter.Name == "moving_variance"
                    ? Tensor.RandomUniform(parameter.Shape, seed++, 0.5f, 2f)
                    : Tensor.RandomNormal(parameter.Shape, seed++, 0f, 0.5f);
                value.AsReadOnlySpan().CopyTo(parameter.Value.AsSpan());
                weights.Add((scope + parameter.Name + ":0", parameter.Shape.Dimensions.ToArray(), [.. value.AsReadOnlySpan().ToArray().Select(v => (double)v)]));
            }

            string saved = groupOf?.Invoke(layer.Name) ?? layer.Name;
            int at = layers.FindIndex(l => l.Item1 == saved);
            if (at >= 0)
            {
                layers[at] = (saved, [.. layers[at].Item2, .. weights]);
            }
            else
            {
                layers.Add((saved, [.. weights]));
            }
        }

        var attributes = new Dictionary<string, string> { ["keras_version"] = "2.13.1", ["backend"] = "tensorflow" };
        if (modelConfig is not null)
        {
            attributes["model_config"] = modelConfig;
        }

        H5py.WriteLegacy(path, attributes, group, layers);
        return path;
    }
}
