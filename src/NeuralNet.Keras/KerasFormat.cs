using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;

namespace NeuralNet.Keras;

/// <summary>
/// Keras 3's files: <c>.keras</c> model archives and <c>.weights.h5</c> weight files (Keras' <c>keras.saving.load_model</c>,
/// <c>model.save</c>, <c>model.load_weights</c> and <c>model.save_weights</c>). A model trained in Python loads here with
/// its architecture, weights and training configuration; weights trained here load into the same model built in Keras.
/// </summary>
/// <remarks>
/// The layout is Keras 3's <c>saving_lib</c>: layer groups named after the layer's class by position (<c>dense</c>,
/// <c>dense_1</c>), each variable a dataset <c>vars/0</c>, <c>vars/1</c>, ... in Keras' creation order. Weights are not
/// matched by layer name, so a model must have the same layers in the same order as the one that wrote the file.
/// </remarks>
public static class KerasFormat
{
    /// <summary>
    /// Loads a model from a <c>.keras</c> archive written by Keras 3 (<c>model.save("model.keras")</c>), or from a Keras 2
    /// <c>.h5</c> model file (tf.keras 2.x's <c>model.save("model.h5")</c>), as Keras 3's <c>load_model</c> does.
    /// </summary>
    /// <param name="path">The archive, ending in <c>.keras</c>, or the Keras 2 file, ending in <c>.h5</c> or <c>.hdf5</c>.</param>
    /// <returns>
    /// The model with the file's weights. From an archive, compiled with its optimizer, losses and metrics when Keras saved
    /// it compiled, the optimizer with the state Keras saved (<c>optimizer/vars</c>: step count, learning rate, moments,
    /// averages, accumulators), so that training resumes where it stopped; and with models nested in the Keras model
    /// inlined into one <see cref="Functional"/> graph of layers. A lookup that learned its vocabulary with <c>adapt</c>
    /// gets it from the archive's <c>assets/&lt;layer path&gt;/vocabulary.txt</c>, as Keras' <c>load_assets</c> reads it; a
    /// <c>TextVectorization</c> or <c>StringLookup</c> called on a string input becomes <see cref="Model.Preprocessing"/>
    /// under its name (or its string input's, when Keras named the layer and the user the input, as the structured-data
    /// tutorial's <c>thal</c>), and the model's input takes what it gives. As in Keras, an optimizer whose saved variables are
    /// not as many as it has (one saved before its first step, or built on other trainable weights) starts afresh
    /// (<see cref="Optimizers.Optimizer.HasState"/> false). A Keras 2 file's training configuration is not read: compile
    /// the model yourself.
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not end in <c>.keras</c>, <c>.h5</c> or <c>.hdf5</c>.</exception>
    /// <exception cref="InvalidDataException">The archive, its configuration, a lookup's vocabulary asset, a weight or an optimizer variable is malformed or does not fit the model; the message names the entry and, for a weight or an optimizer variable, its dataset path, parameter, layer and shape.</exception>
    /// <exception cref="NotSupportedException">The model uses something NeuralNet does not implement (a subclassed model, a nested model called twice, a string layer not called on a string input of its own).</exception>
    /// <remarks>A registered custom optimizer is created from its config with a fresh state; any variables the archive holds for it are skipped, as Keras skips variables it cannot place.</remarks>
    public static Model LoadModel(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!IsLegacyName(path))
        {
            RequireExtension(path, ".keras", nameof(path));
        }

        using FileStream stream = File.OpenRead(path);
        return LoadModel(stream, path);
    }

    /// <summary>Loads a model from a stream holding a <c>.keras</c> archive or a Keras 2 <c>.h5</c> file (see <see cref="LoadModel(string)"/>).</summary>
    /// <param name="stream">The archive or file, read from its position; it is left open. A Keras 2 file is told apart by HDF5's signature, which needs a seekable stream.</param>
    /// <param name="source">A name for the archive in error messages.</param>
    /// <returns>The model, as <see cref="LoadModel(string)"/> returns it.</returns>
    /// <exception cref="InvalidDataException">The archive, its configuration or a weight is malformed or does not fit the model.</exception>
    /// <exception cref="NotSupportedException">The model uses something NeuralNet does not implement.</exception>
    public static Model LoadModel(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (stream.CanSeek && KerasLegacyModel.StartsWithHdf5Signature(stream))
        {
            return KerasLegacyModel.Load(stream, source);
        }

        using var archive = KerasArchive.Open(stream, source);
        JsonObject config = KerasArchive.ReadConfig(archive, source);
        string className = (config["class_name"] as JsonValue)?.TryGetValue(out string? name) == true ? name : string.Empty;
        if (className is not ("Sequential" or "Functional" or "Model"))
        {
            throw new NotSupportedException($"{source}: {KerasArchive.ConfigEntry} describes a model of class \"{className}\"; NeuralNet reads Sequential and Functional models (a subclassed Keras model has no graph in its file).");
        }

        KerasFilledMasks.Drop(config);
        try
        {
            KerasOperations.Read(config, $"{source}: {KerasArchive.ConfigEntry}");
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"{source}: {KerasArchive.ConfigEntry} is malformed: {ex.Message}", ex);
        }

        KerasFilledCallArguments.Drop(config, KerasArchive.ReadKerasVersion(archive, source), KerasArchive.IsWrittenByNeuralNet(archive, source));
        string? compileConfig = config["compile_config"] is JsonObject compile ? compile.ToJsonString() : null;
        config.Remove("compile_config");
        config["class_name"] = className == "Model" ? "Functional" : className;
        Dictionary<string, string> groups;
        try
        {
            if (KerasModelInliner.HasNestedModels(config))
            {
                // NeuralNet runs a nested model as its layers in the larger graph: the config is made one graph first.
                (config, groups, _) = KerasModelInliner.Inline(config, source);
            }
            else
            {
                // Numbered from the file's own layer list, whatever order NeuralNet keeps the layers in.
                groups = KerasConfigItems.Groups(config);
            }

            KerasRnnCells.Rewrite(config, $"{source}: {KerasArchive.ConfigEntry}", groups);
        }
        catch (InvalidOperationException ex)
        {
            // A value of another JSON kind than the config allows (a number where a name belongs, ...).
            throw new InvalidDataException($"{source}: {KerasArchive.ConfigEntry} is malformed: {ex.Message}", ex);
        }

        var operations = KerasOperations.Collect(config);
        using H5WeightsReader weights = KerasArchive.OpenWeights(archive, source);
        List<string> fromAssets = KerasLookupAssets.Fill(config, groups, archive, weights, source);
        List<KerasStringPreprocessors.Removed> preprocessors = KerasStringPreprocessors.Split(config, groups, source);
        string modelConfig = config.ToJsonString();
        Model architecture = NeuralNetModelFile.Architecture(modelConfig, $"{source}: {KerasArchive.ConfigEntry}");
        var layerGroups = groups.Where(g => !preprocessors.Any(p => p.Name == g.Key)).Select(g => (architecture.GetLayer(g.Key), g.Value)).ToList();
        List<KerasWeight> layout = KerasWeightLayout.Of(architecture, layerGroups);
        string? kerasVersion = KerasArchive.ReadKerasVersion(archive, source);
        List<KerasLookupVariables.Loaded> idf = KerasLookupVariables.Read(weights, layerGroups);
        // A string layer's TF-IDF weights went into its config (Keras' set_vocabulary gives the same values as its dataset).
        List<string> stringIdf = KerasLookupVariables.StringLayerDatasets(weights, preprocessors);
        List<KeyValuePair<string, Tensor>> tensors = KerasWeightReader.Read(weights, layout, KerasWeightLayout.Aliases(layerGroups), idf.Select(l => l.Path).Concat(stringIdf));
        tensors.AddRange(KerasLora.ZeroAdapterTensors(architecture));
        Model model = NeuralNetModelFile.Load(modelConfig, compileConfig, tensors, source, KerasStringPreprocessors.Items(preprocessors));
        KerasLookupVariables.Apply(model, idf);
        KerasLookupAssets.MarkAdapted(model, fromAssets);
        KerasOperations.Remember(model, operations);
        if (model.Optimizer is not null)
        {
            KerasOptimizerState.Read(weights, model, layout, kerasVersion);
        }

        return model;
    }

    // A Keras 2 file's name: .h5 or .hdf5, but not Keras 3's .weights.h5.
    private static bool IsLegacyName(string path) =>
        !path.EndsWith(".weights.h5", StringComparison.OrdinalIgnoreCase)
        && (path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Saves the model as a Keras 3 <c>.keras</c> archive (Keras' <c>model.save("model.keras")</c>), atomically: config.json
    /// (the architecture and, when compiled, the compile configuration, in Keras' forms), metadata.json and
    /// model.weights.h5 with the weights and, when compiled, the optimizer's state as Keras 3.10+ keeps it
    /// (<c>optimizer/vars/0</c>, ...: the step count, the learning rate unless a schedule drives it, then the state of
    /// every trainable parameter), which Keras' <c>load_model</c> and <see cref="LoadModel(string)"/> restore. An
    /// <see cref="IntegerLookup"/> in TF-IDF mode keeps its TF-IDF weights in the dataset <c>vars/idf_weights</c>, as Keras does.
    /// </summary>
    /// <param name="model">A built <see cref="Sequential"/> or <see cref="Functional"/> model.</param>
    /// <param name="path">The file to write; its name must end in <c>.keras</c>, as Keras requires, and its folder must exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not end in <c>.keras</c>.</exception>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A component is a custom type that is not registered, a setting has no Keras form, a layer's parameters have no place this package knows in Keras' layout, an <see cref="IntegerLookup"/> in TF-IDF mode has no vocabulary yet (Keras has no TF-IDF weights to save then), or a preprocessor has no place in Keras' archive (not a TextVectorization or StringLookup, an inverting lookup, one without a vocabulary, one that no single model input takes (an int-mode StringLookup not keyed by the name of the input it feeds), two on one input, two of one class, a key that names another layer or input than the one it feeds, or the one it feeds when Keras would have named it, <c>input_layer</c>): save such a model with <see cref="Model.Save(string, bool)"/>. Nothing is written.</exception>
    /// <remarks>
    /// A registered custom optimizer is written with its config only, not its state (where Keras keeps a custom optimizer's
    /// variables is unknown). Each entry of <see cref="Model.Preprocessing"/> (a <see cref="Preprocessing.TextVectorization"/>
    /// or <see cref="Preprocessing.StringLookup"/>, such as one <see cref="LoadModel(string)"/> made of the layer on a string
    /// input) is written as Keras keeps it: the layer, named after its key (or, keyed by the name of the input it feeds,
    /// with Keras' own name for its class, <c>string_lookup</c>; an input Keras would have named itself, <c>input_layer</c>
    /// or <c>input_1</c>, is refused as such a key, since <see cref="LoadModel(string)"/> does not key by it: name the
    /// Input), on a string <c>keras.Input</c> in place of the
    /// model input it feeds (the one whose sample shape is what it gives; for a <see cref="Preprocessing.StringLookup"/> in int
    /// mode, whose ids keep its strings' shape, the one named by its key), its vocabulary inline in its config when it was
    /// given at construction and otherwise (adapted, or read from a vocabulary file) as the asset
    /// <c>assets/layers/text_vectorization/vocabulary.txt</c> (<c>string_lookup</c>), as Keras does, its TF-IDF weights as
    /// <c>vars/idf_weights</c>, a <c>TextVectorization</c>'s a second time under <c>_lookup_layer</c>, as for a layer
    /// adapted in Keras; the archive takes strings again, in Keras and in <see cref="LoadModel(string)"/>. A key in Keras'
    /// automatic form for the layer's class (<c>string_lookup</c>, <c>text_vectorization_2</c>) on an input the user named
    /// comes back from <see cref="LoadModel(string)"/> under the input's name, in NeuralNet's archives as in Keras' (the
    /// layer's name then says nothing of the column, the input's does); any other key comes back as it was.
    /// </remarks>
    public static void SaveModel(Model model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        RequireExtension(path, ".keras", nameof(path));
        RequireBuilt(model);
        JsonObject config = KerasConfigWriter.Write(model);
        List<KerasStringPreprocessorWriter.Placed> preprocessors = KerasStringPreprocessorWriter.Place(model, config);
        List<(string Entry, string Text)> lookupAssets = KerasLookupAssetWriter.Place(model, config);
        using MemoryStream weights = WriteWeights(model, withOptimizer: true, preprocessors);
        string producer = KerasArchive.Producer + typeof(KerasFormat).Assembly.GetName().Version;
        AtomicFile.Write(path, stream => KerasArchive.Write(stream, config, weights, producer, preprocessors.SelectMany(p => p.Assets).Concat(lookupAssets)));
    }

    /// <summary>
    /// Loads Keras weights into <paramref name="model"/> (Keras' <c>model.load_weights</c>): from a <c>.weights.h5</c> file,
    /// the weights of a <c>.keras</c> archive, or a Keras 2 <c>.h5</c> file (weights only or a whole model), whose layers
    /// with weights are matched to the model's by order, as Keras does (the group of a model nested in the Keras model,
    /// such as ConvNeXt's stem, takes the consecutive layers its weights fill). Every weight is read and checked before any parameter changes; the
    /// copy waits for running predictions, as <see cref="Model.SetWeights"/> does. A Keras 3 file also gives each
    /// <see cref="IntegerLookup"/> in TF-IDF mode its TF-IDF weights (<c>vars/idf_weights</c>, as Keras'
    /// <c>load_own_variables</c> does), set after the parameters as <see cref="IntegerLookup.SetVocabulary"/> sets them.
    /// </summary>
    /// <param name="model">A built model with the layers, in the same order, of the model that wrote the file.</param>
    /// <param name="path">A file ending in <c>.weights.h5</c>, <c>.keras</c>, <c>.h5</c> or <c>.hdf5</c>.</param>
    /// <param name="skipMismatch">
    /// Keras' <c>skip_mismatch=True</c>: load what fits and leave the rest as it is, reporting it, as for a pretrained base
    /// whose head has another number of classes. In a Keras 3 file a layer's group (its <c>vars</c>; a recurrent layer's
    /// <c>cell</c>, each projection of an attention layer, each direction of a <c>Bidirectional</c> has its own) is
    /// skipped whole when it holds another number of variables than the layer (a group missing from the file holds none)
    /// or a variable of another shape; groups of the file that no layer takes are left unread. In a Keras 2 <c>.h5</c> file,
    /// as Keras' by-order loading, each weight of another shape is skipped, and another number of layers with weights or
    /// of a layer's weights is still refused. A <c>SpectralNormalization</c>'s group, which repeats the wrapped layer's
    /// kernel, is skipped with the wrapped layer's and the other way round (Keras would take the kernel from the first
    /// before failing on the second). In what is loaded, a dataset that cannot be read or holds another type than a
    /// weight can (a damaged file, bfloat16) is refused as without <paramref name="skipMismatch"/>, as are a TF-IDF
    /// lookup's weights that do not fit; the datasets of skipped groups and of groups no layer takes are not read (Keras
    /// skips those too). A file of which nothing loads (another model's, or a nested Keras model's loaded into the
    /// flattened one) is refused, naming the first reasons: it would leave the model as it was.
    /// </param>
    /// <returns>What was skipped and why, in the model's order (Keras' warning, as a value); empty without <paramref name="skipMismatch"/>, which refuses instead.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> has another extension.</exception>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="InvalidDataException">A weight is missing, has another shape or type, or the file holds layer weights the model has no place for (with <paramref name="skipMismatch"/>, a damaged dataset among those loaded, or nothing that fits); nothing is changed then.</exception>
    /// <exception cref="NotSupportedException">A layer's parameters have no place this package knows in Keras' layout.</exception>
    public static IReadOnlyList<KerasSkippedWeights> LoadWeights(Model model, string path, bool skipMismatch = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        RequireBuilt(model);
        List<KerasWeight> layout = KerasWeightLayout.Of(model);
        List<(Layer Layer, string Path)> groups = KerasWeightLayout.LayerGroups(model);
        List<KerasSkippedWeights> skipped = [];
        List<KeyValuePair<string, Tensor>> tensors;
        List<KerasLookupVariables.Loaded> idf;
        HashSet<Parameter> kept = new(ReferenceEqualityComparer.Instance);
        if (path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase))
        {
            using FileStream stream = File.OpenRead(path);
            using var archive = KerasArchive.Open(stream, path);
            using H5WeightsReader weights = KerasArchive.OpenWeights(archive, path);
            idf = KerasLookupVariables.Read(weights, groups);
            tensors = ReadLayout(weights, model, groups, ref layout, idf, skipMismatch, skipped, kept);
        }
        else
        {
            if (!IsLegacyName(path))
            {
                RequireExtension(path, ".weights.h5", nameof(path));
            }

            using H5WeightsReader weights = H5WeightsReader.Open(File.OpenRead(path), path);
            if (KerasLegacyWeights.TryFind(weights, out string group))
            {
                // A Keras 2 file: Keras 3 matches its layers with weights to the model's by order.
                List<(Layer Layer, Parameter Parameter, Tensor Value)> legacy;
                try
                {
                    legacy = KerasLegacyWeights.Read(weights, group, model, byName: false, skipped: skipMismatch ? skipped : null);
                }
                catch (InvalidDataException ex) when (skipMismatch)
                {
                    throw new InvalidDataException($"{ex.Message} (skipMismatch skips only the weights of another shape in a Keras 2 file, as Keras' by-order loading does; another number of layers or weights, or a dataset that cannot be read, is refused.)", ex);
                }

                // The weights skipped by shape, one by one, keep their values; any other parameter without a value is a bug.
                kept.UnionWith(skipped.Select(s => model.GetLayer(s.Layer!).Parameters.First(p => p.Name == s.Parameters[0])));
                RequireSomethingLoaded(weights, model, legacy.Count, skipped, string.Empty);
                model.SetWeights(KerasWeightReader.InParameterOrder(WeightOrder(model), legacy.Select(w => (w.Parameter, w.Value)), kept));
                return skipped;
            }

            idf = KerasLookupVariables.Read(weights, groups);
            tensors = ReadLayout(weights, model, groups, ref layout, idf, skipMismatch, skipped, kept);
        }

        model.SetWeights(KerasWeightReader.InParameterOrder(WeightOrder(model),
            KerasLora.WithZeroAdapters(model, layout.Select((w, i) => (w.Parameter, tensors[i].Value))), kept));
        KerasLookupVariables.Apply(model, idf);
        return skipped;
    }

    // The layout's tensors from a Keras 3 file; with skipMismatch, only those of the groups that fit (layout becomes them).
    private static List<KeyValuePair<string, Tensor>> ReadLayout(H5WeightsReader weights, Model model, List<(Layer Layer, string Path)> groups, ref List<KerasWeight> layout,
        List<KerasLookupVariables.Loaded> idf, bool skipMismatch, List<KerasSkippedWeights> skipped, HashSet<Parameter> kept)
    {
        List<KerasWeight> aliases = KerasWeightLayout.Aliases(model);
        if (!skipMismatch)
        {
            return KerasWeightReader.Read(weights, layout, aliases, idf.Select(l => l.Path));
        }

        KerasWeightMismatch.Split split = KerasWeightMismatch.Of(weights, layout, aliases, idf.Select(l => l.Path), groups);
        skipped.AddRange(split.Skipped);
        RequireSomethingLoaded(weights, model, split.Layout.Count, skipped, KerasWeightReader.NestedModelHint(weights, layout));
        kept.UnionWith(KerasLora.WithAdapters(model, split.SkippedParameters));
        layout = split.Layout;
        return KerasWeightReader.Read(weights, layout, split.Aliases, idf.Select(l => l.Path).Concat(split.Ignored));
    }

    // The parameters in the order Model.SetWeights takes values: Keras' model.weights, each layer's Weights in turn.
    private static Parameter[] WeightOrder(Model model) => [.. model.Layers.SelectMany(l => l.Weights)];

    // A file of which not one weight (Keras 2) or group (Keras 3) fits a model with parameters is another model's: loading
    // it would leave the model as it was, untrained, behind a successful call.
    private static void RequireSomethingLoaded(H5WeightsReader weights, Model model, int loaded, List<KerasSkippedWeights> skipped, string hint)
    {
        if (loaded == 0 && model.Parameters.Count > 0)
        {
            string reasons = string.Join("; ", skipped.Take(3).Select(s => s.ToString()));
            string more = skipped.Count > 3 ? string.Create(CultureInfo.InvariantCulture, $" (and {skipped.Count - 3} more)") : string.Empty;
            throw new InvalidDataException($"{weights.Source}: skipMismatch skipped everything: not one weight of the file fits model '{model.Name}', which would be left as it was. The file was written by another model.{hint} First reasons: {reasons}{more}. Nothing was changed.");
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
    /// <exception cref="NotSupportedException">A layer (a wrapped one included) is a built-in layer Keras has no class for (<c>DepthToSpace</c>, <c>SpaceToDepth</c>, KerasHub's <c>PositionEmbedding</c>, ...: the Keras model <c>load_weights</c> reads the file into could not hold it; the message names the layer and its type), a layer's parameters have no place this package knows in Keras' layout, or an <see cref="IntegerLookup"/> in TF-IDF mode has no vocabulary yet. Nothing is written.</exception>
    public static void SaveWeights(Model model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        RequireExtension(path, ".weights.h5", nameof(path));
        RequireBuilt(model);
        KerasLayerClasses.RefuseAll(model, weightsOnly: true);
        using MemoryStream weights = WriteWeights(model);
        AtomicFile.Write(path, stream => stream.Write(weights.GetBuffer().AsSpan(0, (int)weights.Length)));
    }

    // What SaveModel (or SaveWeights) refuses before it writes, without writing: the config, the preprocessors' places and
    // the weight layout. KerasCheckpointFormat asks it when Fit starts.
    internal static void CheckSavable(Model model, bool weightsOnly)
    {
        ArgumentNullException.ThrowIfNull(model);
        RequireBuilt(model);
        KerasLayerClasses.RefuseAll(model, weightsOnly);
        _ = KerasWeightLayout.Of(model);
        if (!weightsOnly)
        {
            JsonObject config = KerasConfigWriter.Write(model);
            _ = KerasStringPreprocessorWriter.Place(model, config);
            _ = KerasWeightLayout.Aliases(model);
        }
    }

    // The weights file in memory: PureHDF reads back what it writes, which the atomic file's stream does not allow. With
    // withOptimizer, a compiled model's optimizer state too (Keras' model.save; its save_weights writes it as well, which
    // SaveWeights leaves out).
    private static MemoryStream WriteWeights(Model model, bool withOptimizer = false, IReadOnlyList<KerasStringPreprocessorWriter.Placed>? preprocessors = null)
    {
        List<KerasWeight> layout = KerasWeightLayout.Of(model);
        preprocessors ??= [];
        List<string> groups = ["vars", "layers", .. preprocessors.SelectMany(p => p.Groups), .. KerasWeightLayout.EmptyGroups(model)];
        IEnumerable<(string Path, Tensor Value, bool IsInteger)> datasets =
            layout.Concat(KerasWeightLayout.Aliases(model)).Select(w => (w.Path, KerasLora.SavedValue(w.Layer, w.Parameter), w.IsInteger))
                .Concat(KerasLookupVariables.Datasets(KerasWeightLayout.LayerGroups(model)))
                .Concat(preprocessors.SelectMany(p => p.Datasets));
        List<(string Path, long Value)> integers = [];
        if (withOptimizer && model.Optimizer is not null && KerasOptimizerVariables.IsKnown(model.Optimizer))
        {
            var optimizer = KerasOptimizerState.Write(model, layout);
            groups.AddRange(KerasOptimizerState.Groups);
            datasets = datasets.Concat(optimizer.Datasets);
            integers = optimizer.Integers;
        }

        var weights = new MemoryStream();
        H5WeightsWriter.Write(weights, groups, datasets, integers);
        return weights;
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
