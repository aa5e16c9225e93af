using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras 2 weights-only files laid out as keras.applications' published ones (layer order, weight names and shapes),
// written by h5py with made-up values, and the check that a model took every value.
internal static class ApplicationWeightsFiles
{
    /// <summary>Distinct values per weight; variances positive, as a trained file's are.</summary>
    public static double[] Values(int weight, string name, int count)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            double v = Math.Sin((weight * 7919.0) + (i * 0.37));
            values[i] = name.EndsWith("variance:0", StringComparison.Ordinal) ? 1.0 + (0.5 * Math.Abs(v)) : 0.2 * v;
        }

        return values;
    }

    /// <summary>
    /// Writes the layers' weights, the i-th weight of the file filled by <paramref name="values"/> (default <see cref="Values"/>);
    /// returns the values each model layer should hold, by name: the saved layer's own, or for a nested model's group the
    /// layer <paramref name="layerOf"/> names for each weight (group, weight name), in the group's order.
    /// </summary>
    public static Dictionary<string, double[][]> Write(string path, IEnumerable<(string Layer, (string Name, int[] Shape)[] Weights)> keras,
        Func<int, string, int, double[]>? values = null, Func<string, string?>? dtypeOf = null, Func<string, string, string>? layerOf = null)
    {
        values ??= Values;
        layerOf ??= (group, _) => group;
        var layers = new List<(string Layer, (string Name, int[] Shape, double[] Values)[] Weights)>();
        var written = new Dictionary<string, List<double[]>>();
        int weight = 0;
        foreach (var (layer, weights) in keras)
        {
            var withValues = weights.Select(w => (w.Name, w.Shape, values(weight++, w.Name, w.Shape.Aggregate(1, (a, b) => a * b)))).ToArray();
            layers.Add((layer, withValues));
            if (withValues.Length == 0)
            {
                written[layer] = [];
            }

            foreach (var (name, _, data) in withValues)
            {
                string target = layerOf(layer, name);
                if (!written.TryGetValue(target, out List<double[]>? list))
                {
                    written[target] = list = [];
                }

                list.Add(data);
            }
        }

        H5py.WriteLegacy(path, new Dictionary<string, string>(), "", layers, dtypeOf: dtypeOf);
        return written.ToDictionary(w => w.Key, w => w.Value.ToArray());
    }

    /// <summary>Asserts that every layer of <paramref name="model"/> with weights holds the values written for its name, and that every written layer with weights was checked.</summary>
    public static void AssertLoaded(Functional model, Dictionary<string, double[][]> written)
    {
        int checkedLayers = 0;
        foreach (Layer layer in model.Layers.Where(l => l.Parameters.Count > 0))
        {
            double[][] values = written[layer.Name];
            Assert.Equal(values.Length, layer.Parameters.Count);
            for (int k = 0; k < values.Length; k++)
            {
                Assert.Equal(values[k].Select(v => (float)v).ToArray(), layer.Parameters[k].Value.ToArray());
            }

            checkedLayers++;
        }

        Assert.Equal(written.Count(w => w.Value.Length > 0), checkedLayers);
    }
}
