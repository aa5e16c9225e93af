using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>h5py, the HDF5 library Keras itself writes and reads with (Debian: <c>apt-get install python3-h5py</c>), run through keras_h5.py.</summary>
internal static class H5py
{
    private static readonly Lazy<string?> Python = new(() => NeuralNet.TestSupport.DebianPython.Find("NEURALNET_H5PY_PYTHON", "h5py, numpy"));

    /// <summary>Set to 1 (as CI does) to fail, rather than skip, when h5py is missing.</summary>
    public const string RequireVariable = "NEURALNET_REQUIRE_H5PY";

    public static string? PythonWithH5py => Python.Value;

    /// <summary>Writes a weights file with h5py: <paramref name="datasets"/> maps paths to (shape, dtype, values).</summary>
    /// <param name="softLinks">Soft links made after the datasets: each path becomes a link to its target path.</param>
    public static void Write(string path, IEnumerable<string> groups, IEnumerable<(string Path, int[] Shape, string DType, double[] Values)> datasets, IEnumerable<(string Path, string Target)>? softLinks = null)
    {
        var data = new JsonObject();
        foreach (var (name, shape, dtype, values) in datasets)
        {
            data[name] = new JsonObject
            {
                ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
                ["dtype"] = dtype,
                ["values"] = new JsonArray([.. values.Select(v => (JsonNode)v)]),
            };
        }

        var spec = new JsonObject { ["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)g)]), ["datasets"] = data };
        if (softLinks is not null)
        {
            var links = new JsonObject();
            foreach (var (linkPath, target) in softLinks)
            {
                links[linkPath] = target;
            }

            spec["soft_links"] = links;
        }

        string specPath = path + ".json";
        File.WriteAllText(specPath, spec.ToJsonString());
        Run("write", specPath, path);
    }

    /// <summary>
    /// Writes a Keras 2 file with h5py: <paramref name="attributes"/> on the file, and each layer's weights (name, shape,
    /// dtype, values) in its group under <paramref name="group"/> ("" for a weights-only file); the dtype is float32 unless
    /// <paramref name="dtypeOf"/> names another for a weight's name.
    /// </summary>
    public static void WriteLegacy(string path, IReadOnlyDictionary<string, string> attributes, string group,
        IEnumerable<(string Layer, (string Name, int[] Shape, double[] Values)[] Weights)> layers, bool split = false, Func<string, string?>? dtypeOf = null)
    {
        var attrs = new JsonObject();
        foreach (var (key, value) in attributes)
        {
            attrs[key] = value;
        }

        // The values go to a side file of float64s (an application's file holds tens of millions), each weight at its offset.
        var layerList = new JsonArray();
        string valuesPath = path + ".values";
        using (var values = new BinaryWriter(File.Create(valuesPath)))
        {
            long offset = 0;
            foreach (var (layer, weights) in layers)
            {
                var items = new JsonArray();
                foreach (var (name, shape, data) in weights)
                {
                    items.Add(new JsonObject
                    {
                        ["name"] = name,
                        ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
                        ["dtype"] = dtypeOf?.Invoke(name) ?? "float32",
                        ["offset"] = offset,
                        ["count"] = data.Length,
                    });
                    foreach (double v in data)
                    {
                        values.Write(v);
                    }

                    offset += data.Length;
                }

                layerList.Add(new JsonObject { ["name"] = layer, ["weights"] = items });
            }
        }

        var spec = new JsonObject { ["attrs"] = attrs, ["group"] = group, ["layers"] = layerList, ["split"] = split, ["values"] = valuesPath };
        string specPath = path + ".json";
        File.WriteAllText(specPath, spec.ToJsonString());
        Run("legacy", specPath, path);
    }

    /// <summary>What h5py reads from a file: its groups and its datasets with shape, dtype and values.</summary>
    public static JsonObject Dump(string path) => (JsonObject)JsonNode.Parse(Run("dump", path))!;

    private static string Run(params string[] arguments)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "keras_h5.py");
        using Process process = Process.Start(new ProcessStartInfo(PythonWithH5py!, [script, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"keras_h5.py {string.Join(' ', arguments)} failed: {error.Result}");
    }
}

/// <summary>A fact that runs when h5py is installed, and fails without it when <see cref="H5py.RequireVariable"/> is 1.</summary>
public sealed class H5pyFactAttribute : FactAttribute
{
    public H5pyFactAttribute()
    {
        if (H5py.PythonWithH5py is null && Environment.GetEnvironmentVariable(H5py.RequireVariable) != "1")
        {
            Skip = "h5py is not installed (apt-get install python3-h5py, or set NEURALNET_H5PY_PYTHON to a Python with h5py).";
        }
    }
}

/// <summary>A theory that runs when h5py is installed, and fails without it when <see cref="H5py.RequireVariable"/> is 1.</summary>
public sealed class H5pyTheoryAttribute : TheoryAttribute
{
    public H5pyTheoryAttribute()
    {
        if (H5py.PythonWithH5py is null && Environment.GetEnvironmentVariable(H5py.RequireVariable) != "1")
        {
            Skip = "h5py is not installed (apt-get install python3-h5py, or set NEURALNET_H5PY_PYTHON to a Python with h5py).";
        }
    }
}
