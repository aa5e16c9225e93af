using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Models;
using NeuralNet.Serialization;

namespace NeuralNet.Keras;

/// <summary>
/// Keras 3's files: <c>.keras</c> model archives and <c>.weights.h5</c> weight files (Keras' <c>keras.saving.load_model</c>,
/// <c>model.load_weights</c> and <c>model.save_weights</c>). A model trained in Python loads here with its architecture,
/// weights and training configuration; weights trained here load into the same model built in Keras.
/// </summary>
/// <remarks>
/// The layout is Keras 3's <c>saving_lib</c>: layer groups named after the layer's class by position (<c>dense</c>,
/// <c>dense_1</c>), each variable a dataset <c>vars/0</c>, <c>vars/1</c>, ... in Keras' creation order. Nothing is
/// matched by layer name, so a model must have the same layers in the same order as the one that wrote the file.
/// </remarks>
public static class KerasFormat
{
    private const string ConfigEntry = "config.json";
    private const string WeightsEntry = "model.weights.h5";
    private const string AssetsFolder = "assets/";
    private const long MaxConfigBytes = 64L << 20;
    private const long MaxWeightsBytes = int.MaxValue;

    /// <summary>Loads a model from a <c>.keras</c> archive written by Keras 3 (<c>model.save("model.keras")</c>).</summary>
    /// <param name="path">The archive; its name must end in <c>.keras</c>, as Keras requires.</param>
    /// <returns>
    /// The model with the archive's weights, compiled with its optimizer, losses and metrics when Keras saved it compiled
    /// (the optimizer's state is not read: training resumes with fresh moments).
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not end in <c>.keras</c>.</exception>
    /// <exception cref="InvalidDataException">The archive, its configuration or a weight is malformed or does not fit the model; the message names the entry and, for a weight, its dataset path, layer and shapes.</exception>
    /// <exception cref="NotSupportedException">The model uses something NeuralNet does not implement (a subclassed model, a layer with assets).</exception>
    public static Model LoadModel(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        RequireExtension(path, ".keras", nameof(path));
        using FileStream stream = File.OpenRead(path);
        return LoadModel(stream, path);
    }

    /// <summary>Loads a model from a stream holding a <c>.keras</c> archive (see <see cref="LoadModel(string)"/>).</summary>
    /// <param name="stream">The archive, read from its start; it is left open.</param>
    /// <param name="source">A name for the archive in error messages.</param>
    /// <returns>The model, as <see cref="LoadModel(string)"/> returns it.</returns>
    /// <exception cref="InvalidDataException">The archive, its configuration or a weight is malformed or does not fit the model.</exception>
    /// <exception cref="NotSupportedException">The model uses something NeuralNet does not implement.</exception>
    public static Model LoadModel(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        using ZipArchive archive = OpenArchive(stream, source);
        JsonObject config = ReadConfig(archive, source);
        if (archive.Entries.FirstOrDefault(e => e.FullName.StartsWith(AssetsFolder, StringComparison.Ordinal) && e.Length > 0) is ZipArchiveEntry asset)
        {
            throw new NotSupportedException($"{source}: the archive holds the asset '{asset.FullName}' (a lookup layer's vocabulary file), which NeuralNet.Keras does not read.");
        }

        string className = (config["class_name"] as JsonValue)?.TryGetValue(out string? name) == true ? name : string.Empty;
        if (className is not ("Sequential" or "Functional" or "Model"))
        {
            throw new NotSupportedException($"{source}: {ConfigEntry} describes a model of class \"{className}\"; NeuralNet reads Sequential and Functional models (a subclassed Keras model has no graph in its file).");
        }

        string? compileConfig = config["compile_config"] is JsonObject compile ? compile.ToJsonString() : null;
        config.Remove("compile_config");
        config["class_name"] = className == "Model" ? "Functional" : className;
        Dictionary<string, string> groups;
        if (KerasModelInliner.HasNestedModels(config))
        {
            // NeuralNet runs a nested model as its layers in the larger graph: the config is made one graph first.
            (config, groups) = KerasModelInliner.Inline(config, source);
        }
        else
        {
            // Numbered from the file's own layer list, whatever order NeuralNet keeps the layers in.
            groups = KerasModelInliner.Groups(config);
        }

        string modelConfig = config.ToJsonString();
        Model architecture;
        try
        {
            architecture = Model.FromJson(modelConfig);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{source}: {ConfigEntry}: {ex.Message}", ex);
        }

        List<KerasWeight> layout = KerasWeightLayout.Of(architecture, groups.Select(g => (architecture.GetLayer(g.Key), g.Value)));
        List<KeyValuePair<string, Tensor>> tensors;
        using (H5WeightsReader weights = OpenWeights(archive, source))
        {
            tensors = ReadTensors(weights, layout);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "neuralnet.model",
            ["format_version"] = "1",
            ["model_config"] = modelConfig,
        };
        if (compileConfig is not null)
        {
            metadata["compile_config"] = compileConfig;
        }

        // Through NeuralNet's own model file, so the model is created and checked by the one reader of model files.
        using var file = new MemoryStream();
        SafeTensors.Write(file, tensors, metadata);
        file.Position = 0;
        try
        {
            return Model.Load(file, source);
        }
        catch (InvalidDataException ex) when (compileConfig is not null)
        {
            throw new InvalidDataException($"{ex.Message} (while reading {ConfigEntry}'s compile_config)", ex);
        }
    }

    /// <summary>
    /// Saves the model as a Keras 3 <c>.keras</c> archive (Keras' <c>model.save("model.keras")</c>), atomically: config.json
    /// (the architecture and, when compiled, the compile configuration, in Keras' forms), metadata.json and
    /// model.weights.h5. The optimizer's state is not written.
    /// </summary>
    /// <param name="model">A built <see cref="Sequential"/> or <see cref="Functional"/> model.</param>
    /// <param name="path">The file to write; its name must end in <c>.keras</c>, as Keras requires, and its folder must exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not end in <c>.keras</c>.</exception>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A component is a custom type that is not registered, or a layer's parameters have no place this package knows in Keras' layout. Nothing is written.</exception>
    public static void SaveModel(Model model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        RequireExtension(path, ".keras", nameof(path));
        RequireBuilt(model);
        JsonObject config = KerasConfigWriter.Write(model);
        List<KerasWeight> layout = KerasWeightLayout.Of(model);
        using var weights = new MemoryStream();
        H5WeightsWriter.Write(weights, ["vars", "layers", .. KerasWeightLayout.EmptyGroups(model)], layout.Select(w => (w.Path, w.Parameter.Value, w.IsInteger)));
        var metadata = new JsonObject
        {
            ["keras_version"] = "3",
            ["date_saved"] = DateTime.Now.ToString("yyyy-MM-dd@HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            ["producer"] = "NeuralNet.Keras " + typeof(KerasFormat).Assembly.GetName().Version,
        };
        AtomicFile.Write(path, stream =>
        {
            // Keras writes the archive's entries uncompressed, in this order.
            using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            WriteEntry(archive, "metadata.json", metadata.ToJsonString());
            WriteEntry(archive, ConfigEntry, config.ToJsonString());
            using Stream entry = archive.CreateEntry(WeightsEntry, CompressionLevel.NoCompression).Open();
            weights.Position = 0;
            weights.CopyTo(entry);
        });
    }

    /// <summary>
    /// Loads Keras weights into <paramref name="model"/> (Keras' <c>model.load_weights</c>): from a <c>.weights.h5</c> file
    /// or the weights of a <c>.keras</c> archive. Every parameter is checked before any is changed.
    /// </summary>
    /// <param name="model">A built model with the layers, in the same order, of the model that wrote the file.</param>
    /// <param name="path">A file ending in <c>.weights.h5</c> or <c>.keras</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> has another extension.</exception>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="InvalidDataException">A weight is missing, has another shape or type, or the file holds layer weights the model has no place for; nothing is changed then.</exception>
    public static void LoadWeights(Model model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        RequireBuilt(model);
        List<KerasWeight> layout = KerasWeightLayout.Of(model);
        List<KeyValuePair<string, Tensor>> tensors;
        if (path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase))
        {
            using FileStream stream = File.OpenRead(path);
            using ZipArchive archive = OpenArchive(stream, path);
            using H5WeightsReader weights = OpenWeights(archive, path);
            tensors = ReadTensors(weights, layout);
        }
        else
        {
            RequireExtension(path, ".weights.h5", nameof(path));
            using H5WeightsReader weights = H5WeightsReader.Open(File.OpenRead(path), path);
            tensors = ReadTensors(weights, layout);
        }

        // All read and checked: now copy.
        for (int i = 0; i < layout.Count; i++)
        {
            tensors[i].Value.AsReadOnlySpan().CopyTo(layout[i].Parameter.Value.AsSpan());
        }
    }

    /// <summary>
    /// Saves the weights as a Keras 3 <c>.weights.h5</c> file (Keras' <c>model.save_weights</c>), atomically: Keras'
    /// <c>model.load_weights(path)</c> reads it into the same model built in Keras.
    /// </summary>
    /// <param name="model">A built model.</param>
    /// <param name="path">The file to write; its name must end in <c>.weights.h5</c>, as Keras requires, and its folder must exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not end in <c>.weights.h5</c>.</exception>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A layer's parameters have no place this package knows in Keras' layout.</exception>
    public static void SaveWeights(Model model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        RequireExtension(path, ".weights.h5", nameof(path));
        RequireBuilt(model);
        List<KerasWeight> layout = KerasWeightLayout.Of(model);
        List<string> groups = ["vars", "layers", .. KerasWeightLayout.EmptyGroups(model)];
        // PureHDF reads back what it writes, which the atomic file's stream does not allow: the file is made in memory.
        using var weights = new MemoryStream();
        H5WeightsWriter.Write(weights, groups, layout.Select(w => (w.Path, w.Parameter.Value, w.IsInteger)));
        AtomicFile.Write(path, stream => stream.Write(weights.GetBuffer().AsSpan(0, (int)weights.Length)));
    }

    private static void WriteEntry(ZipArchive archive, string name, string text)
    {
        using var writer = new StreamWriter(archive.CreateEntry(name, CompressionLevel.NoCompression).Open());
        writer.Write(text);
    }

    // Every parameter's tensor, read and checked, named as NeuralNet names it; then the file must hold no layer weights
    // beyond them (a layer whose variables this package would place wrongly).
    private static List<KeyValuePair<string, Tensor>> ReadTensors(H5WeightsReader weights, List<KerasWeight> layout)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>(layout.Count);
        foreach (KerasWeight weight in layout)
        {
            TensorShape expected = weight.Parameter.Shape;
            if (!weights.TryRead(weight.Path, weight.IsInteger, out float[] values, out int[] dimensions, out string problem))
            {
                throw new InvalidDataException($"{weights.Source}: dataset '{weights.Resolve(weight.Path)}' {problem}; it should hold parameter '{weight.Parameter.Name}' {expected} of layer '{weight.Layer.Name}' ({weight.Layer.TypeName}).");
            }

            if (!dimensions.AsSpan().SequenceEqual(expected.Dimensions))
            {
                throw new InvalidDataException($"{weights.Source}: dataset '{weights.Resolve(weight.Path)}' has shape ({string.Join(", ", dimensions)}) but parameter '{weight.Parameter.Name}' of layer '{weight.Layer.Name}' ({weight.Layer.TypeName}) is {expected}.");
            }

            tensors.Add(new(weight.TensorName, Tensor.FromArray(values, expected.Dimensions)));
        }

        var placed = new HashSet<string>(layout.Select(w => weights.Resolve(w.Path)), StringComparer.Ordinal);
        string layers = weights.Resolve("layers") + "/";
        if (weights.DatasetPaths().FirstOrDefault(p => p.StartsWith(layers, StringComparison.Ordinal) && !placed.Contains(p) && !IsIgnoredState(p)) is string extra)
        {
            throw new InvalidDataException($"{weights.Source}: dataset '{extra}' belongs to no parameter of the model: the file was written by a model with other layers, in another order, or with variables NeuralNet does not have.");
        }

        return tensors;
    }

    // Variables Keras saves that hold no weight: a random layer's seed generator state.
    private static bool IsIgnoredState(string path) => path.Contains("/seed_generator/", StringComparison.Ordinal);

    private static ZipArchive OpenArchive(Stream stream, string source)
    {
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{source}: not a .keras archive (a zip file): {ex.Message}", ex);
        }
    }

    private static JsonObject ReadConfig(ZipArchive archive, string source)
    {
        ZipArchiveEntry entry = archive.GetEntry(ConfigEntry)
            ?? throw new InvalidDataException($"{source}: the archive has no {ConfigEntry}; a .keras archive holds {ConfigEntry}, metadata.json and {WeightsEntry}.");
        if (entry.Length > MaxConfigBytes)
        {
            throw new InvalidDataException($"{source}: {ConfigEntry} is {entry.Length} bytes, more than the {MaxConfigBytes} this reader accepts.");
        }

        try
        {
            using Stream stream = entry.Open();
            return JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject
                ?? throw new InvalidDataException($"{source}: {ConfigEntry} is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: {ConfigEntry} is not valid JSON: {ex.Message}", ex);
        }
    }

    private static H5WeightsReader OpenWeights(ZipArchive archive, string source)
    {
        ZipArchiveEntry entry = archive.GetEntry(WeightsEntry) ?? throw new InvalidDataException(archive.GetEntry("model.weights.npz") is null
            ? $"{source}: the archive has no {WeightsEntry}."
            : $"{source}: the weights are in model.weights.npz (Keras' weights_format=\"npz\"); NeuralNet.Keras reads {WeightsEntry}, Keras' default.");
        if (entry.Length > MaxWeightsBytes)
        {
            throw new InvalidDataException($"{source}: {WeightsEntry} is {entry.Length} bytes, more than the {MaxWeightsBytes} this reader accepts.");
        }

        // The HDF5 reader seeks; a zip entry's stream does not.
        var buffer = new MemoryStream((int)entry.Length);
        using (Stream stream = entry.Open())
        {
            stream.CopyTo(buffer);
        }

        buffer.Position = 0;
        return H5WeightsReader.Open(buffer, $"{source}/{WeightsEntry}");
    }

    private static void RequireExtension(string path, string extension, string parameterName)
    {
        if (!path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{path}' does not end in {extension}: Keras reads and writes this kind of file only under that extension.", parameterName);
        }
    }

    private static void RequireBuilt(Model model)
    {
        if (model.Layers.Any(l => !l.IsBuilt))
        {
            throw new InvalidOperationException($"Model '{model.Name}' is not built: give it an input shape first.");
        }
    }
}
