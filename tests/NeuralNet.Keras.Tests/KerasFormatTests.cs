using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Training;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>Keras 3 files read and written: archives and weights files made with h5py as Keras makes them, and round trips.</summary>
public sealed partial class KerasFormatTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-keras-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Which Keras dataset holds which NeuralNet parameter, written out from Keras' saving_lib rules for
    // KerasConfigs.FunctionalSequenceModel (not computed by the code under test).
    private static readonly (string Path, string Tensor)[] s_functionalPaths =
    [
        ("layers/lstm/cell/vars/0", "lstm/kernel"), ("layers/lstm/cell/vars/1", "lstm/recurrent_kernel"), ("layers/lstm/cell/vars/2", "lstm/bias"),
        ("layers/bidirectional/forward_layer/cell/vars/0", "bidirectional/forward_gru/kernel"),
        ("layers/bidirectional/forward_layer/cell/vars/1", "bidirectional/forward_gru/recurrent_kernel"),
        ("layers/bidirectional/forward_layer/cell/vars/2", "bidirectional/forward_gru/bias"),
        ("layers/bidirectional/backward_layer/cell/vars/0", "bidirectional/backward_gru/kernel"),
        ("layers/bidirectional/backward_layer/cell/vars/1", "bidirectional/backward_gru/recurrent_kernel"),
        ("layers/bidirectional/backward_layer/cell/vars/2", "bidirectional/backward_gru/bias"),
        ("layers/dense/vars/0", "dense/kernel"), ("layers/dense/vars/1", "dense/bias"),
        ("layers/batch_normalization/vars/0", "batch_normalization/gamma"), ("layers/batch_normalization/vars/1", "batch_normalization/beta"),
        ("layers/batch_normalization/vars/2", "batch_normalization/moving_mean"), ("layers/batch_normalization/vars/3", "batch_normalization/moving_variance"),
        ("layers/dense_1/vars/0", "dense_1/kernel"), ("layers/dense_1/vars/1", "dense_1/bias"),
    ];

    // Keras makes a group (with its "vars") for the model, every layer and every layer a layer holds.
    private static readonly string[] s_functionalGroups =
    [
        "", "layers/input_layer", "layers/lstm", "layers/lstm/cell", "layers/bidirectional", "layers/bidirectional/forward_layer",
        "layers/bidirectional/forward_layer/cell", "layers/bidirectional/backward_layer", "layers/bidirectional/backward_layer/cell",
        "layers/global_average_pooling1d", "layers/dense", "layers/concatenate", "layers/batch_normalization", "layers/dense_1",
    ];

    [H5pyFact]
    public void LoadModel_KerasFunctionalArchive_HasItsWeightsAndCompileConfig()
    {
        Model reference = Model.FromJson(KerasConfigs.FunctionalSequenceModel);
        var values = RandomValues(reference, s_functionalPaths, seed: 3);
        string archive = WriteArchive("functional.keras", KerasConfigs.FunctionalSequenceModel.Replace(
            "\"build_config\": {\"input_shape\": null}}", $"\"build_config\": {{\"input_shape\": null}}, \"compile_config\": {KerasConfigs.AdamCompile}}}", StringComparison.Ordinal),
            s_functionalGroups, s_functionalPaths.Select(p => (p.Path, values[p.Tensor])));

        Model model = KerasFormat.LoadModel(archive);

        foreach (var (_, tensorName) in s_functionalPaths)
        {
            string[] parts = tensorName.Split('/', 2);
            Parameter parameter = model.GetLayer(parts[0]).Parameters.Single(p => p.Name == parts[1]);
            Assert.Equal(values[tensorName].AsReadOnlySpan().ToArray(), parameter.Value.AsReadOnlySpan().ToArray());
        }

        SetParameters(reference, values);
        Tensor x = Tensor.RandomNormal(new TensorShape(7, 6, 3), seed: 5);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
        Assert.IsType<Adam>(model.Optimizer);
        Assert.Equal(0.001, model.Optimizer!.LearningRate, 6);
    }

    [H5pyFact]
    public void LoadModel_KerasSequentialArchive_PredictsWithItsWeights()
    {
        (string, string)[] paths = [("layers/dense/vars/0", "dense/kernel"), ("layers/dense/vars/1", "dense/bias"), ("layers/dense_1/vars/0", "dense_1/kernel"), ("layers/dense_1/vars/1", "dense_1/bias")];
        Model reference = Model.FromJson(KerasConfigs.SequentialMlp);
        var values = RandomValues(reference, paths, seed: 11);
        string archive = WriteArchive("mlp.keras", KerasConfigs.SequentialMlp, ["", "layers/dense", "layers/dense_1"], paths.Select(p => (p.Item1, values[p.Item2])));

        Model model = KerasFormat.LoadModel(archive);

        SetParameters(reference, values);
        Tensor x = Tensor.RandomNormal(new TensorShape(9, 4), seed: 2);
        Assert.IsType<Sequential>(model);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
        Assert.IsType<SparseCategoricalCrossEntropy>(model.Loss);
        Assert.IsType<Adam>(model.Optimizer);
    }

    [H5pyFact]
    public void SaveWeights_Model_H5pyReadsKerasLayout()
    {
        Model model = Model.FromJson(KerasConfigs.FunctionalSequenceModel);
        string path = Path.Combine(_folder, "model.weights.h5");

        KerasFormat.SaveWeights(model, path);

        JsonObject file = H5py.Dump(path);
        var datasets = (JsonObject)file["datasets"]!;
        Assert.Equal(s_functionalPaths.Select(p => p.Path).Order(StringComparer.Ordinal), datasets.Select(d => d.Key).Order(StringComparer.Ordinal));
        foreach (var (datasetPath, tensorName) in s_functionalPaths)
        {
            string[] parts = tensorName.Split('/', 2);
            Parameter parameter = model.GetLayer(parts[0]).Parameters.Single(p => p.Name == parts[1]);
            JsonNode dataset = datasets[datasetPath]!;
            Assert.Equal("float32", (string?)dataset["dtype"]);
            Assert.Equal(parameter.Shape.Dimensions.ToArray(), dataset["shape"]!.AsArray().Select(d => (int)d!).ToArray());
            Assert.Equal(parameter.Value.AsReadOnlySpan().ToArray(), dataset["values"]!.AsArray().Select(v => (float)(double)v!).ToArray());
        }

        var groups = file["groups"]!.AsArray().Select(g => (string)g!).ToHashSet();
        Assert.All(s_functionalGroups, g => Assert.Contains(g.Length == 0 ? "vars" : g + "/vars", groups));
    }

    [H5pyFact]
    public void SaveWeightsAndLoadWeights_NormalizationCount_IsAnIntegerScalar()
    {
        var model = new Sequential([new Input(3).Layer, new Normalization()]);
        ((Normalization)model.Layers[^1]).Adapt(Tensor.FromArray([1f, 2f, 3f, 5f, 7f, 9f], 2, 3));
        string path = Path.Combine(_folder, "normalization.weights.h5");
        KerasFormat.SaveWeights(model, path);
        JsonNode count = H5py.Dump(path)["datasets"]!["layers/normalization/vars/2"]!;
        Assert.Equal("int64", (string?)count["dtype"]);
        Assert.Empty(count["shape"]!.AsArray());
        Assert.Equal(2.0, (double)count["values"]![0]!);

        // Keras on JAX and PyTorch keeps the count as int32.
        string keras = Path.Combine(_folder, "keras.weights.h5");
        H5py.Write(keras, ["layers/normalization"],
        [
            ("layers/normalization/vars/0", [3], "float32", [1, 2, 3]),
            ("layers/normalization/vars/1", [3], "float32", [4, 5, 6]),
            ("layers/normalization/vars/2", [], "int32", [10]),
        ]);
        KerasFormat.LoadWeights(model, keras);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f, 10f], model.Layers[^1].Parameters.SelectMany(p => p.Value.AsReadOnlySpan().ToArray()));
    }

    [H5pyFact]
    public void LoadWeights_Keras213GroupNames_AreRead()
    {
        var model = new Sequential([new Input(2).Layer, new Dense(2)]);
        string path = Path.Combine(_folder, "legacy.weights.h5");
        H5py.Write(path, [], [("_layer_checkpoint_dependencies/dense/vars/0", [2, 2], "float32", [1, 2, 3, 4]), ("_layer_checkpoint_dependencies/dense/vars/1", [2], "float64", [5, 6])]);
        KerasFormat.LoadWeights(model, path);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], model.Layers[^1].Parameters.SelectMany(p => p.Value.AsReadOnlySpan().ToArray()));
    }

    [Fact]
    public void LoadWeights_SavedWeights_GiveAnotherModelTheSamePredictions()
    {
        Model first = Model.FromJson(KerasConfigs.FunctionalSequenceModel);
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 6, 3), seed: 1);
        first.Compile(new Adam(0.01f), new SparseCategoricalCrossEntropy());
        first.Fit(x, Tensor.FromArray([0f, 1f, 1f, 0f], 4), epochs: 2, batchSize: 2, verbose: 0);
        string path = Path.Combine(_folder, "trained.weights.h5");
        KerasFormat.SaveWeights(first, path);

        Model second = first.Clone(seed: 99);
        Assert.NotEqual(first.Predict(x).AsReadOnlySpan().ToArray(), second.Predict(x).AsReadOnlySpan().ToArray());
        KerasFormat.LoadWeights(second, path);
        Assert.Equal(first.Predict(x).AsReadOnlySpan().ToArray(), second.Predict(x).AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void SaveModel_TrainedModel_LoadsBackWithWeightsAndCompileConfig()
    {
        Model model = Model.FromJson(KerasConfigs.FunctionalSequenceModel);
        model.Compile(new Adam(0.005f), new SparseCategoricalCrossEntropy(), new Accuracy());
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 6, 3), seed: 8);
        model.Fit(x, Tensor.FromArray([1f, 0f, 1f, 0f], 4), epochs: 1, batchSize: 2, verbose: 0);
        string path = Path.Combine(_folder, "trained.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
        Assert.Equal(0.005, loaded.Optimizer!.LearningRate, 6);
        Assert.IsType<SparseCategoricalCrossEntropy>(loaded.Loss);
    }

    [Fact]
    public void SaveModel_NamedMetrics_WriteKerasNamesAndLoadBack()
    {
        var model = new Sequential([new Input(4).Layer, new Dense(1, ActivationFunction.Sigmoid)]);
        model.Compile(new Adam(), new BinaryCrossEntropy(), new Precision(0.3) { Name = "p30" }, new Precision(0.7) { Name = "p70" }, new Recall());
        string path = Path.Combine(_folder, "named.keras");

        KerasFormat.SaveModel(model, path);

        JsonArray metrics;
        using (ZipArchive archive = ZipFile.OpenRead(path))
        {
            metrics = JsonNode.Parse(archive.GetEntry("config.json")!.Open())!["compile_config"]!["metrics"]!.AsArray();
        }

        // keras.metrics.Precision(thresholds=0.3, name="p30").get_config() holds "name"; an unnamed default metric is its string.
        Assert.Equal("keras.metrics", (string?)metrics[0]!["module"]);
        Assert.Equal("Precision", (string?)metrics[0]!["class_name"]);
        Assert.Equal("p30", (string?)metrics[0]!["config"]!["name"]);
        Assert.Equal("p70", (string?)metrics[1]!["config"]!["name"]);
        Assert.Equal("recall", (string?)metrics[2]);
        Assert.Equal(["p30", "p70", "recall"], KerasFormat.LoadModel(path).Metrics.Select(m => m.Name));
    }

    [Fact]
    public void LoadModel_KerasCompileConfigMetricNames_AreTheMetricsNames()
    {
        var model = new Sequential([new Input(4).Layer, new Dense(1, ActivationFunction.Sigmoid)]);
        model.Compile(new Adam(), new BinaryCrossEntropy(), new Precision());
        string path = Path.Combine(_folder, "keras_names.keras");
        KerasFormat.SaveModel(model, path);

        // The metrics as Keras 3 writes compile(metrics=[Precision(thresholds=0.3, name="p30"), Recall(), "acc"]).
        using (ZipArchive archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            ZipArchiveEntry entry = archive.GetEntry("config.json")!;
            JsonNode config;
            using (Stream stream = entry.Open())
            {
                config = JsonNode.Parse(stream)!;
            }

            config["compile_config"]!["metrics"] = JsonNode.Parse("""
                [{"module": "keras.metrics", "class_name": "Precision", "config": {"name": "p30", "dtype": "float32", "thresholds": 0.3, "top_k": null, "class_id": null}, "registered_name": null},
                 {"module": "keras.metrics", "class_name": "Recall", "config": {"name": "recall", "dtype": "float32", "thresholds": null, "top_k": null, "class_id": null}, "registered_name": null},
                 "acc"]
                """);
            entry.Delete();
            using Stream written = archive.CreateEntry("config.json", CompressionLevel.NoCompression).Open();
            written.Write(System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()));
        }

        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(["p30", "recall", "acc"], loaded.Metrics.Select(m => m.Name));
        Assert.Equal(0.3, Assert.IsType<Precision>(loaded.Metrics[0]).Threshold);
    }

    [Fact]
    public void SaveAndLoadModel_CrossEntropyAxisAndFocalAlphaList_UseKerasKeys()
    {
        // Keras' CategoricalFocalCrossentropy(alpha=[...], axis=1).get_config(): "alpha" a list, "axis" an integer.
        var model = new Sequential([new Input(3, 4).Layer, new Dense(4, ActivationFunction.Softmax)]);
        model.Compile(new Adam(), new NeuralNet.Losses.CategoricalFocalCrossEntropy([0.2, 0.3, 0.5], axis: 1));
        string path = Path.Combine(_folder, "focal_axis.keras");
        KerasFormat.SaveModel(model, path);

        using (ZipArchive archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            ZipArchiveEntry entry = archive.GetEntry("config.json")!;
            JsonNode config;
            using (Stream stream = entry.Open())
            {
                config = JsonNode.Parse(stream)!;
            }

            JsonNode loss = config["compile_config"]!["loss"]!;
            Assert.Equal("keras.losses", (string?)loss["module"]);
            Assert.Equal("[0.2,0.3,0.5]", loss["config"]!["alpha"]!.ToJsonString());
            Assert.Equal(1, (int)loss["config"]!["axis"]!);

            // The loss as Keras 3 writes compile(loss=CategoricalCrossentropy(axis=1)).
            config["compile_config"]!["loss"] = JsonNode.Parse("""
                {"module": "keras.losses", "class_name": "CategoricalCrossentropy", "config": {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": 1}, "registered_name": null}
                """);
            entry.Delete();
            using Stream written = archive.CreateEntry("config.json", CompressionLevel.NoCompression).Open();
            written.Write(System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()));
        }

        Assert.Equal(1, Assert.IsType<NeuralNet.Losses.CategoricalCrossEntropy>(KerasFormat.LoadModel(path).Loss).Axis);
    }

    [H5pyFact]
    public void SaveModel_VolumeAndRmsNormalizationLayers_UseKerasPathsAndLoadBack()
    {
        // The 3-D layers and RMSNormalization keep Keras' class-named groups (conv3d, conv3d_transpose, rms_normalization)
        // and variable order, and come back through LoadModel with the same predictions.
        var model = new Sequential(
        [
            new InputLayer(4, 6, 6, 2), new Conv3D(3, 3, padding: Padding.Same, activation: ActivationFunction.Relu), new MaxPooling3D((1, 2, 2)),
            new Conv3DTranspose(2, (1, 2, 2), strides: (1, 2, 2)), new RMSNormalization(), new GlobalAveragePooling3D(), new Dense(2),
        ], seed: 5);
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4, 6, 6, 2), seed: 2);
        model.Fit(x, Tensor.RandomNormal(new TensorShape(3, 2), seed: 3), epochs: 1, batchSize: 3, verbose: 0);
        string path = Path.Combine(_folder, "volume.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
        string weights = Path.Combine(_folder, "volume.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        Assert.Equal([3, 3, 3, 2, 3], datasets["layers/conv3d/vars/0"]!["shape"]!.AsArray().Select(d => (int)d!).ToArray());
        Assert.Equal([1, 2, 2, 2, 3], datasets["layers/conv3d_transpose/vars/0"]!["shape"]!.AsArray().Select(d => (int)d!).ToArray());
        Assert.Equal([2], datasets["layers/rms_normalization/vars/0"]!["shape"]!.AsArray().Select(d => (int)d!).ToArray());
    }

    [H5pyFact]
    public void SaveModel_AttentionOverPixels_WritesResolvedAxesAndKerasKernelShapesAndLoadsBack()
    {
        // Keras' MultiHeadAttention over the pixels of a feature map (attention_axes (1, 2) by default at rank 4): its
        // EinsumDense kernels keep the rank-3 shapes, and get_config after build writes the resolved axes.
        var image = new Input(new TensorShape(3, 4, 6), "image");
        SymbolicTensor attended = new MultiHeadAttention(2, 3, valueDim: 4, name: "pixels").Call(image, image);
        SymbolicTensor rows = new MultiHeadAttention(2, 3, attentionAxes: [-3], name: "rows").Call(attended, attended);
        var model = new Functional(image, new Dense(2, name: "head").Call(new GlobalAveragePooling2D().Call(rows)), seed: 7);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 4, 6), seed: 4);
        string path = Path.Combine(_folder, "pixels.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
        using (ZipArchive archive = ZipFile.OpenRead(path))
        {
            using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
            JsonArray layers = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray();
            string Axes(string name) => layers.Single(l => (string?)l!["config"]!["name"] == name)!["config"]!["attention_axes"]!.ToJsonString();
            Assert.Equal("[1,2]", Axes("pixels"));
            Assert.Equal("[1]", Axes("rows"));
        }

        string weights = Path.Combine(_folder, "pixels.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        int[] Shape(string dataset) => datasets[dataset]!["shape"]!.AsArray().Select(d => (int)d!).ToArray();
        Assert.Equal([6, 2, 3], Shape("layers/multi_head_attention/query_dense/vars/0"));
        Assert.Equal([2, 3], Shape("layers/multi_head_attention/query_dense/vars/1"));
        Assert.Equal([2, 4, 6], Shape("layers/multi_head_attention/output_dense/vars/0"));
        Assert.Equal([6], Shape("layers/multi_head_attention/output_dense/vars/1"));
    }

    [Fact]
    public void SaveModel_Seq2SeqInitialStates_GoByKeywordAsKerasWritesThemAndLoadBack()
    {
        // Keras' seq2seq: decoder = LSTM(...)(decoder_inputs, initial_state=[h, c]); Keras 3 writes the states as the
        // call's "initial_state" keyword, and its archives load here the same way.
        var source = new Input(new TensorShape(5, 3), "encoder_inputs");
        var target = new Input(new TensorShape(4, 2), "decoder_inputs");
        SymbolicTensor[] encoded = new Lstm(4, name: "encoder") { ReturnState = true }.CallOutputs(source);
        SymbolicTensor decoded = new Lstm(4, returnSequences: true, name: "decoder").CallOutputs(target, encoded[1], encoded[2])[0];
        var model = new Functional([source, target], [new Dense(3, ActivationFunction.Softmax, name: "next").Call(decoded)], seed: 6);
        string path = Path.Combine(_folder, "seq2seq.keras");
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5, 3), seed: 1), y = Tensor.RandomNormal(new TensorShape(2, 4, 2), seed: 2);

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(new[] { x, y }).AsReadOnlySpan().ToArray(), loaded.Predict(new[] { x, y }).AsReadOnlySpan().ToArray());
        using ZipArchive archive = ZipFile.OpenRead(path);
        using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
        JsonNode decoder = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray().Single(l => (string?)l!["name"] == "decoder" || (string?)l!["config"]!["name"] == "decoder")!;
        JsonObject call = decoder["inbound_nodes"]!.AsArray()[0]!.AsObject();
        Assert.Single(call["args"]!.AsArray());
        Assert.Equal(2, call["kwargs"]!["initial_state"]!.AsArray().Count);
    }

    [Fact]
    public void SaveModel_BidirectionalStatesKerasWouldSplitWrongly_IsRefusedNamingTheLayer()
    {
        // Keras 3 splits Bidirectional's initial_state in halves: an LSTM forward (h, c) with a GRU backward (h) cannot be read.
        var x = new Input(new TensorShape(5, 3), "x");
        SymbolicTensor[] states = [new Input(new TensorShape(3), "fh"), new Input(new TensorShape(3), "fc"), new Input(new TensorShape(2), "bh")];
        var layer = new Bidirectional(new Lstm(3), backwardLayer: new Gru(2, goBackwards: true), name: "bi");
        var model = new Functional([x, .. states], [layer.Call(x, states[0], states[1], states[2])], seed: 2);
        string path = Path.Combine(_folder, "split.keras");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        Assert.Contains("Layer 'bi' (Bidirectional) takes initial states for a forward layer of 2 initial_state entries and a backward layer of 1", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void SaveModel_AdaptivePoolingLayers_KeepKerasConfigsAndLoadBack()
    {
        // The adaptive pooling layers have no weights: the archive's config carries Keras' "output_size" lists, and the
        // model comes back with the same predictions after training through them.
        var image = new Input(9, 7, 2);
        Layer features = new Conv2D(3, 3, padding: Padding.Same, activation: ActivationFunction.Relu);
        SymbolicTensor pooled = new Concatenate().Call(
            new Flatten().Call(new AdaptiveAveragePooling2D((4, 3)).Call(features.Call(image))),
            new Flatten().Call(new AdaptiveMaxPooling2D(2).Call(features.Call(image))));
        var model = new Functional(image, new Dense(2).Call(pooled), seed: 4);
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 9, 7, 2), seed: 5);
        model.Fit(x, Tensor.RandomNormal(new TensorShape(3, 2), seed: 6), epochs: 1, batchSize: 3, verbose: 0);
        string path = Path.Combine(_folder, "adaptive.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
        Assert.Equal((4, 3), loaded.Layers.OfType<AdaptiveAveragePooling2D>().Single().OutputSize);
        Assert.Equal((2, 2), loaded.Layers.OfType<AdaptiveMaxPooling2D>().Single().OutputSize);
        using ZipArchive archive = ZipFile.OpenRead(path);
        using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
        JsonArray layers = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray();
        JsonNode average = layers.Single(l => (string?)l!["class_name"] == "AdaptiveAveragePooling2D")!["config"]!;
        Assert.Equal("[4,3]", average["output_size"]!.ToJsonString());
        Assert.Equal("channels_last", (string?)average["data_format"]);
        Assert.Equal("[2,2]", layers.Single(l => (string?)l!["class_name"] == "AdaptiveMaxPooling2D")!["config"]!["output_size"]!.ToJsonString());
    }

    [Fact]
    public void SaveModel_SpectralNormalization_LoadsBackWithItsNormalizedKernelsAndVectorU()
    {
        // The wrapped kernel is written twice, as Keras does (the wrapper's vars/0 and its layer's vars/0); both readers
        // account for the repeat, and the trained (normalized) kernels, vector_u and predictions come back bit for bit.
        Sequential Make() => new(
        [
            new InputLayer(6, 6, 2), new SpectralNormalization(new Conv2D(3, 2)), new Flatten(),
            new SpectralNormalization(new Dense(2), powerIterations: 2),
        ], seed: 7);
        Sequential model = Make();
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 6, 6, 2), seed: 8);
        model.Fit(x, Tensor.RandomNormal(new TensorShape(4, 2), seed: 9), epochs: 2, batchSize: 2, verbose: 0);
        string path = Path.Combine(_folder, "spectral.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Parameters.Select(p => p.Value.ToArray()), loaded.Parameters.Select(p => p.Value.ToArray()));
        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
        Assert.Equal([1, 2], loaded.Layers.OfType<SpectralNormalization>().Select(l => l.PowerIterations));

        string weights = Path.Combine(_folder, "spectral.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        Sequential fresh = Make();
        KerasFormat.LoadWeights(fresh, weights);
        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), fresh.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void SaveWeights_SpectralNormalization_H5pyReadsKerasVariables()
    {
        // As Keras writes it: the wrapper's vars/0 repeats the wrapped kernel, vars/1 is vector_u (1, units), and the Dense
        // keeps kernel and bias under layer/vars.
        var model = new Sequential([new InputLayer(4), new SpectralNormalization(new Dense(3))], seed: 2);
        model.Compile(new Adam(), new MeanSquaredError());
        model.Fit(Tensor.RandomNormal(new TensorShape(4, 4), seed: 3), Tensor.RandomNormal(new TensorShape(4, 3), seed: 4), epochs: 1, batchSize: 2, verbose: 0);
        string weights = Path.Combine(_folder, "spectral.weights.h5");

        KerasFormat.SaveWeights(model, weights);

        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        var wrapper = (SpectralNormalization)model.Layers[^1];
        float[] Values(string path) => [.. datasets[path]!["values"]!.AsArray().Select(v => (float)(double)v!)];
        Assert.Equal(((Dense)wrapper.InnerLayer).Kernel.Value.ToArray(), Values("layers/spectral_normalization/vars/0"));
        Assert.Equal(((Dense)wrapper.InnerLayer).Kernel.Value.ToArray(), Values("layers/spectral_normalization/layer/vars/0"));
        Assert.Equal(wrapper.VectorU.Value.ToArray(), Values("layers/spectral_normalization/vars/1"));
        Assert.Equal([1, 3], datasets["layers/spectral_normalization/vars/1"]!["shape"]!.AsArray().Select(d => (int)d!).ToArray());
        Assert.Equal(3, Values("layers/spectral_normalization/layer/vars/1").Length);
        Assert.Equal(4, datasets.Count);
    }

    [H5pyFact]
    public void SaveModel_AudioFrontEnds_UseKerasPathsAndLoadBack()
    {
        // STFTSpectrogram keeps Keras' group (stft_spectrogram) and variable order: vars/0 real_kernel, vars/1 imag_kernel,
        // both (frame_length, 1, fft_length // 2 + 1); MelSpectrogram has no variables. Trained kernels come back exactly.
        var signal = new Input(new TensorShape(40, 1), "signal");
        var audio = new Input(new TensorShape(100), "audio");
        SymbolicTensor stft = new Flatten().Call(new StftSpectrogram(SpectrogramMode.Log, 16, 8, 32).Call(signal));
        SymbolicTensor mel = new Flatten().Call(new MelSpectrogram(32, 8, samplingRate: 8000, numMelBins: 6).Call(new Dense(100).Call(audio)));
        var model = new Functional([signal, audio], new Dense(2).Call(new Concatenate().Call(stft, mel)), seed: 4);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor x1 = Tensor.RandomNormal(new TensorShape(4, 40, 1), seed: 2), x2 = Tensor.RandomNormal(new TensorShape(4, 100), seed: 3);
        model.Fit(new[] { x1, x2 }, Tensor.RandomNormal(new TensorShape(4, 2), seed: 4), epochs: 1, batchSize: 4, verbose: 0);
        string path = Path.Combine(_folder, "audio.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(new[] { x1, x2 }).AsReadOnlySpan().ToArray(), loaded.Predict(new[] { x1, x2 }).AsReadOnlySpan().ToArray());
        string weights = Path.Combine(_folder, "audio.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        Assert.Equal([16, 1, 17], datasets["layers/stft_spectrogram/vars/0"]!["shape"]!.AsArray().Select(d => (int)d!).ToArray());
        Assert.Equal([16, 1, 17], datasets["layers/stft_spectrogram/vars/1"]!["shape"]!.AsArray().Select(d => (int)d!).ToArray());
        Assert.DoesNotContain(datasets, d => d.Key.Contains("mel_spectrogram", StringComparison.Ordinal));
    }

    [H5pyFact]
    public void SaveModel_GroupedQueryAttentionAndCtc_UseKerasPathsAndLoadBack()
    {
        // GroupedQueryAttention keeps its projections under Keras' EinsumDense attributes with (features, key/value heads,
        // head size) kernels; a CTC loss comes back from the compile config under Keras' class name.
        var x = new Input(new TensorShape(6, 8), "x");
        SymbolicTensor attended = new GroupedQueryAttention(2, 4, 2).Call(x, x);
        var model = new Functional(x, new Dense(5).Call(attended), seed: 3);
        model.Compile(new Adam(), new Ctc());
        Tensor inputs = Tensor.RandomNormal(new TensorShape(4, 6, 8), seed: 4);
        model.Fit(inputs, Tensor.FromArray([1f, 2, 0, 3, 3, 1, 4, 2, 0, 1, 1, 0], 4, 3), epochs: 1, batchSize: 2, verbose: 0);
        string path = Path.Combine(_folder, "gqa.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(inputs).AsReadOnlySpan().ToArray(), loaded.Predict(inputs).AsReadOnlySpan().ToArray());
        Assert.IsType<Ctc>(loaded.Loss);
        string weights = Path.Combine(_folder, "gqa.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        Assert.Equal([8, 4, 2], Shape(datasets["layers/grouped_query_attention/query_dense/vars/0"]!));
        Assert.Equal([8, 2, 2], Shape(datasets["layers/grouped_query_attention/key_dense/vars/0"]!));
        Assert.Equal([2, 2], Shape(datasets["layers/grouped_query_attention/value_dense/vars/1"]!));
        Assert.Equal([4, 2, 8], Shape(datasets["layers/grouped_query_attention/output_dense/vars/0"]!));

        static int[] Shape(JsonNode dataset) => [.. dataset["shape"]!.AsArray().Select(d => (int)d!)];
    }

    [H5pyFact]
    public void SaveModel_GatedAttention_KeepsTheGateUnderKerasAttributeAndLoadsBack()
    {
        // Keras 3.15's use_gate: the gate projection is the EinsumDense attribute _gate_dense (group gate_dense), kernel
        // (features, heads, valueDim) and bias (heads, valueDim); a layer without a gate has no such group.
        var x = new Input(new TensorShape(6, 8), "x");
        SymbolicTensor gated = new MultiHeadAttention(2, 3, valueDim: 4) { UseGate = true }.Call(x, x);
        SymbolicTensor grouped = new GroupedQueryAttention(2, 4, 2) { UseGate = true }.Call(gated, gated);
        SymbolicTensor plain = new MultiHeadAttention(2, 3).Call(grouped, grouped);
        var model = new Functional(x, new Dense(5).Call(plain), seed: 3);
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor inputs = Tensor.RandomNormal(new TensorShape(4, 6, 8), seed: 4);
        model.Fit(inputs, Tensor.RandomNormal(new TensorShape(4, 6, 5), seed: 5), epochs: 1, batchSize: 2, verbose: 0);
        string path = Path.Combine(_folder, "gated.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(inputs).AsReadOnlySpan().ToArray(), loaded.Predict(inputs).AsReadOnlySpan().ToArray());
        Assert.True(((MultiHeadAttention)loaded.Layers.First(l => l is MultiHeadAttention and not GroupedQueryAttention)).UseGate);
        string weights = Path.Combine(_folder, "gated.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        Assert.Equal([8, 2, 4], Shape(datasets["layers/multi_head_attention/gate_dense/vars/0"]!));
        Assert.Equal([2, 4], Shape(datasets["layers/multi_head_attention/gate_dense/vars/1"]!));
        Assert.Equal([8, 4, 2], Shape(datasets["layers/grouped_query_attention/gate_dense/vars/0"]!));
        Assert.Equal([4, 2], Shape(datasets["layers/grouped_query_attention/gate_dense/vars/1"]!));
        Assert.DoesNotContain(datasets, d => d.Key.StartsWith("layers/multi_head_attention_1/gate_dense", StringComparison.Ordinal));

        static int[] Shape(JsonNode dataset) => [.. dataset["shape"]!.AsArray().Select(d => (int)d!)];
    }

    [H5pyFact]
    public void SaveModel_EinsumDense_UsesKerasVariablesAndLoadsBack()
    {
        // Keras' EinsumDense stores vars/0 (kernel, shaped by the equation) and vars/1 (bias, Keras' bias shape); its
        // config keeps output_shape with nulls where the input gives the size.
        var model = new Sequential(
        [
            new InputLayer(6, 8), new EinsumDense("abc,cde->abde", [null, 2, 4], ActivationFunction.Relu, "de"),
            new EinsumDense("abcd,cde->abe", [null, 3], biasAxes: "e"), new EinsumDense("abc,cd->adb", [5, null]),
        ], seed: 2);
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 6, 8), seed: 3);
        model.Fit(x, Tensor.RandomNormal(new TensorShape(4, 5, 6), seed: 4), epochs: 1, batchSize: 2, verbose: 0);
        string path = Path.Combine(_folder, "einsum.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
        string weights = Path.Combine(_folder, "einsum.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        Assert.Equal([8, 2, 4], Shape(datasets["layers/einsum_dense/vars/0"]!));
        Assert.Equal([2, 4], Shape(datasets["layers/einsum_dense/vars/1"]!));
        Assert.Equal([2, 4, 3], Shape(datasets["layers/einsum_dense_1/vars/0"]!));
        Assert.Equal([3], Shape(datasets["layers/einsum_dense_1/vars/1"]!));
        Assert.Equal([3, 5], Shape(datasets["layers/einsum_dense_2/vars/0"]!));
        Assert.False(datasets.ContainsKey("layers/einsum_dense_2/vars/1"));

        static int[] Shape(JsonNode dataset) => [.. dataset["shape"]!.AsArray().Select(d => (int)d!)];
    }

    [H5pyFact]
    public void SaveModelAndLoadWeights_ConvLstm_UseKerasCellPaths()
    {
        // Keras' ConvLSTM keeps its weights in its cell, as LSTM does: layers/conv_lstm2d/cell/vars/0 (kernel kh, kw, in,
        // 4·filters), 1 (recurrent_kernel kh, kw, filters, 4·filters), 2 (bias 4·filters) (keras/src/layers/rnn/conv_lstm.py).
        var model = new Sequential(
        [
            new InputLayer(3, 5, 5, 2), new ConvLstm2D(4, 3, padding: Padding.Same, returnSequences: true), new Reshape(3, 25, 4),
            new ConvLstm1D(2, 3), new Flatten(), new Dense(2),
        ], seed: 4);
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 3, 5, 5, 2), seed: 6);
        model.Fit(x, Tensor.RandomNormal(new TensorShape(3, 2), seed: 7), epochs: 1, batchSize: 3, verbose: 0);
        string path = Path.Combine(_folder, "convlstm.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
        string weights = Path.Combine(_folder, "convlstm.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        JsonObject file = H5py.Dump(weights);
        var datasets = (JsonObject)file["datasets"]!;
        Assert.Equal([3, 3, 2, 16], Shape(datasets["layers/conv_lstm2d/cell/vars/0"]!));
        Assert.Equal([3, 3, 4, 16], Shape(datasets["layers/conv_lstm2d/cell/vars/1"]!));
        Assert.Equal([16], Shape(datasets["layers/conv_lstm2d/cell/vars/2"]!));
        Assert.Equal([3, 4, 8], Shape(datasets["layers/conv_lstm1d/cell/vars/0"]!));
        Assert.Contains("layers/conv_lstm2d/cell/vars", file["groups"]!.AsArray().Select(g => (string)g!));

        // Weights h5py writes at Keras' paths land in the right parameters.
        var conv = (ConvLstm2D)model.Layers[1];
        string keras = Path.Combine(_folder, "keras-convlstm.weights.h5");
        var written = new List<(string Path, int[] Shape, string DType, double[] Values)>();
        foreach (var (dataset, node) in datasets)
        {
            int[] shape = Shape(node!);
            written.Add((dataset, shape, "float32", [.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(i => (double)(float)Math.Sin(i + dataset.Length))]));
        }

        string[] groups = [.. file["groups"]!.AsArray().Select(g => (string)g!).Where(g => g.EndsWith("/vars", StringComparison.Ordinal)).Select(g => g[..^"/vars".Length])];
        H5py.Write(keras, groups, written);
        KerasFormat.LoadWeights(loaded, keras);
        var loadedConv = (ConvLstm2D)loaded.Layers[1];
        foreach (var (dataset, _, _, values) in written.Where(w => w.Path.StartsWith("layers/conv_lstm2d/", StringComparison.Ordinal)))
        {
            Parameter parameter = loadedConv.Parameters[dataset[^1] - '0'];
            Assert.Equal(values.Select(v => (float)v), parameter.Value.AsReadOnlySpan().ToArray());
        }

        Assert.Equal(["kernel", "recurrent_kernel", "bias"], conv.Parameters.Select(p => p.Name));

        static int[] Shape(JsonNode dataset) => [.. dataset["shape"]!.AsArray().Select(d => (int)d!)];
    }

    [Fact]
    public void SaveModel_Sequential_HasKerasEntriesAndModules()
    {
        var model = new Sequential([new Input(4).Layer, new Dense(3, ActivationFunction.Relu), new Dense(2)]);
        model.Compile(new Adam(), new SparseCategoricalCrossEntropy());
        string path = Path.Combine(_folder, "mlp.keras");
        KerasFormat.SaveModel(model, path);

        using ZipArchive archive = ZipFile.OpenRead(path);
        Assert.Equal(["metadata.json", "config.json", "model.weights.h5"], archive.Entries.Select(e => e.FullName));
        Assert.All(archive.Entries, e => Assert.Equal(e.Length, e.CompressedLength));
        JsonNode config = JsonNode.Parse(archive.GetEntry("config.json")!.Open())!;
        Assert.Equal("keras", (string?)config["module"]);
        Assert.Equal("Sequential", (string?)config["class_name"]);
        Assert.Equal("[null,4]", config["build_config"]!["input_shape"]!.ToJsonString());
        Assert.Equal("[null,4]", config["config"]!["build_input_shape"]!.ToJsonString());
        JsonArray layers = config["config"]!["layers"]!.AsArray();
        Assert.All(layers, l => Assert.Equal("keras.layers", (string?)l!["module"]));
        Assert.Equal("keras.initializers", (string?)layers[1]!["config"]!["kernel_initializer"]!["module"]);
        Assert.Equal("keras.optimizers", (string?)config["compile_config"]!["optimizer"]!["module"]);
        Assert.True(JsonNode.Parse(archive.GetEntry("metadata.json")!.Open())!["keras_version"] is not null);
        Assert.Null(config["config"]!["seed"]);
    }

    [Fact]
    public void SaveModel_ActivationWithSettings_IsRefusedNamingTheLayer()
    {
        var model = new Sequential([new Input(4).Layer, new Dense(2, new LeakyRelu(0.1f), name: "hidden")]);
        string path = Path.Combine(_folder, "leaky.keras");
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("Layer 'hidden' has the activation", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        // The default slope is Keras' leaky_relu, which a config names.
        KerasFormat.SaveModel(new Sequential([new Input(4).Layer, new Dense(2, ActivationFunction.LeakyRelu)]), path);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void SaveModel_WeightDecayExclusions_AreRefusedAndNothingIsWritten()
    {
        var model = new Sequential([new Input(4).Layer, new Dense(2)]);
        model.Compile(new AdamW { WeightDecayExclusions = ["bias"] }, new MeanSquaredError());
        string path = Path.Combine(_folder, "decay.keras");
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("excludes variables from weight decay", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void SaveModel_Functional_NamesItsClassAsKerasDoes()
    {
        Model model = Model.FromJson(KerasConfigs.FunctionalSequenceModel);
        string path = Path.Combine(_folder, "functional.keras");
        KerasFormat.SaveModel(model, path);
        using ZipArchive archive = ZipFile.OpenRead(path);
        JsonNode config = JsonNode.Parse(archive.GetEntry("config.json")!.Open())!;
        Assert.Equal("keras.src.models.functional", (string?)config["module"]);
        Assert.Equal("Functional", (string?)config["registered_name"]);
        JsonNode bidirectional = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["class_name"] == "Bidirectional")!;
        Assert.Equal("keras.layers", (string?)bidirectional["config"]!["layer"]!["module"]);
        Assert.Equal("keras.initializers", (string?)bidirectional["config"]!["layer"]!["config"]!["recurrent_initializer"]!["module"]);
        Assert.Null(config["compile_config"]);
    }

    [H5pyTheory]
    [InlineData("3.12.0")]
    [InlineData("3.5.0")] // with the inner Dropout's training=False that Keras 3.0-3.9 filled in, dropped on reading
    public void LoadModel_NestedFunctional_IsInlinedWithItsWeightGroupsAndTrainingArgument(string kerasVersion)
    {
        (string, string)[] paths =
        [
            ("layers/functional/layers/dense/vars/0", "encoder_dense/kernel"), ("layers/functional/layers/dense/vars/1", "encoder_dense/bias"),
            ("layers/functional/layers/dense_1/vars/0", "dense_1/kernel"), ("layers/functional/layers/dense_1/vars/1", "dense_1/bias"),
            ("layers/dense/vars/0", "dense/kernel"), ("layers/dense/vars/1", "dense/bias"),
        ];
        var input = new Input(new TensorShape(4), "input_layer");
        SymbolicTensor hidden = new Dense(3, ActivationFunction.Relu, name: "encoder_dense").Call(input);
        hidden = new Dense(2, name: "dense_1").Call(new Dropout(0.5).Call(hidden));
        var reference = new Functional(input, new Dense(1, ActivationFunction.Sigmoid, name: "dense").Call(hidden));
        var values = RandomValues(reference, paths, seed: 21);
        string config = kerasVersion == "3.12.0" ? KerasConfigs.NestedFunctional
            : KerasConfigs.NestedFunctional.Replace("""[{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["dense", 0, 0]}}], "kwargs": {}}]""",
                """[{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["dense", 0, 0]}}], "kwargs": {"training": false}}]""", StringComparison.Ordinal);
        Assert.True(kerasVersion == "3.12.0" || config != KerasConfigs.NestedFunctional);
        string archive = WriteArchive($"nested-{kerasVersion}.keras", config,
            ["", "layers/input_layer", "layers/functional", "layers/functional/layers/input_layer", "layers/functional/layers/dense",
             "layers/functional/layers/dropout", "layers/functional/layers/dense_1", "layers/dense"],
            paths.Select(p => (p.Item1, values[p.Item2])), kerasVersion);

        Model model = KerasFormat.LoadModel(archive);

        SetParameters(reference, values);
        Tensor x = Tensor.RandomNormal(new TensorShape(5, 4), seed: 4);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
        Assert.Equal(["input_layer", "encoder_dense", "dropout", "dense_1", "dense"], model.Layers.Select(l => l.Name));

        // Keras' base_model(inputs, training=False): every inlined call keeps inference mode.
        JsonArray layers = JsonNode.Parse(model.ToJson())!["config"]!["layers"]!.AsArray();
        foreach (string name in new[] { "encoder_dense", "dropout", "dense_1" })
        {
            JsonNode layer = layers.Single(l => (string?)l!["config"]!["name"] == name)!;
            Assert.False((bool)layer["inbound_nodes"]![0]!["kwargs"]!["training"]!);
        }

        Assert.Null(layers.Single(l => (string?)l!["config"]!["name"] == "dense")!["inbound_nodes"]![0]!["kwargs"]?["training"]);
    }

    [H5pyFact]
    public void LoadModel_NestedSequential_IsInlinedFrozen()
    {
        (string, string)[] paths =
        [
            ("layers/sequential/layers/dense/vars/0", "dense/kernel"), ("layers/sequential/layers/dense/vars/1", "dense/bias"),
            ("layers/dense/vars/0", "dense_1/kernel"), ("layers/dense/vars/1", "dense_1/bias"),
        ];
        var reference = new Sequential([new Input(4).Layer, new Dense(3, ActivationFunction.Relu, name: "dense"), new Dense(1, name: "dense_1")]);
        var values = RandomValues(reference, paths, seed: 31);
        string archive = WriteArchive("nested-sequential.keras", KerasConfigs.NestedSequential, ["", "layers/sequential", "layers/sequential/layers/dense", "layers/dense"],
            paths.Select(p => (p.Item1, values[p.Item2])));

        Model model = KerasFormat.LoadModel(archive);

        SetParameters(reference, values);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4), seed: 6);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
        Assert.False(model.GetLayer("dense").Trainable);
        Assert.True(model.GetLayer("dense_1").Trainable);
    }

    [Fact]
    public void LoadModel_NestedModelCalledTwice_IsRefused()
    {
        string twice = KerasConfigs.NestedFunctional.Replace(
            "\"inbound_nodes\": [{\"args\": [" + KerasConfigs.Tensor("input_layer", 4).Trim() + "], \"kwargs\": {\"training\": false}}]",
            "\"inbound_nodes\": [{\"args\": [" + KerasConfigs.Tensor("input_layer", 4).Trim() + "], \"kwargs\": {}}, {\"args\": [" + KerasConfigs.Tensor("input_layer", 4).Trim() + "], \"kwargs\": {}}]",
            StringComparison.Ordinal);
        Assert.NotEqual(KerasConfigs.NestedFunctional, twice);
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", twice)), "twice.keras"));
        Assert.Contains("nested model 'encoder' is called 2 times", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadModel_OutputOfNestedFunctional_IsTheNestedModelsOutput()
    {
        string config = KerasConfigs.EncoderOutput;
        (string, string)[] paths =
        [
            ("layers/functional/layers/dense/vars/0", "encoder_dense/kernel"), ("layers/functional/layers/dense/vars/1", "encoder_dense/bias"),
            ("layers/functional/layers/dense_1/vars/0", "dense_1/kernel"), ("layers/functional/layers/dense_1/vars/1", "dense_1/bias"),
        ];
        // The reference: the same layers with the same weights, from the classifier that ends in a Dense of its own.
        Model full = Model.FromJson(Flat(KerasConfigs.NestedFunctional));
        var values = RandomValues(full, paths, seed: 41);
        string archive = WriteArchive("encoder-output.keras", config, [], paths.Select(p => (p.Item1, values[p.Item2])));

        Model model = KerasFormat.LoadModel(archive);

        Assert.Equal(new TensorShape(2), model.OutputShape);
        SetParameters(full, values);
        var encoder = new Functional(full.Inputs, [full.GetLayer("dense_1").Output]);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4), seed: 9);
        Assert.Equal(encoder.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_Keras2SequentialH5_PredictsWithItsWeights()
    {
        var reference = new Sequential(
        [
            new Input(4).Layer, new Dense(8, ActivationFunction.Relu, name: "dense"), new BatchNormalization(name: "batch_normalization"),
            new Dropout(0.5, name: "dropout"), new Dense(3, ActivationFunction.Softmax, name: "dense_1"),
        ]);
        string path = WriteKeras2(reference, "sequential.h5", Keras2Configs.Sequential, "model_weights", seed: 51);

        Model model = KerasFormat.LoadModel(path);

        Tensor x = Tensor.RandomNormal(new TensorShape(6, 4), seed: 3);
        Assert.IsType<Sequential>(model);
        Assert.Equal(["dense_input", "dense", "batch_normalization", "dropout", "dense_1"], model.Layers.Select(l => l.Name));
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
        Assert.False(model.IsCompiled);
    }

    [H5pyFact]
    public void LoadModel_RnnOverKerasCells_IsTheCellsLayerWithTheRnnGroups()
    {
        // keras.layers.RNN(LSTMCell(5), return_sequences=True) and Bidirectional(RNN(GRUCell(4))): Keras keeps an RNN's
        // weights in its cell as the LSTM and GRU layers do, under the RNN's own group (layers/rnn, not layers/lstm).
        var root = (JsonObject)JsonNode.Parse(KerasConfigs.FunctionalSequenceModel)!;
        JsonObject[] items = [.. root["config"]!["layers"]!.AsArray().OfType<JsonObject>()];
        AsRnn(items.Single(i => (string?)i["name"] == "lstm"), "LSTMCell", "lstm_cell");
        JsonObject bidirectional = items.Single(i => (string?)i["name"] == "bidirectional");
        AsRnn((JsonObject)bidirectional["config"]!["layer"]!, "GRUCell", "gru_cell");
        AsRnn((JsonObject)bidirectional["config"]!["backward_layer"]!, "GRUCell", "gru_cell_1");
        (string Path, string Tensor)[] paths = [.. s_functionalPaths.Select(p => (p.Path.Replace("layers/lstm/", "layers/rnn/", StringComparison.Ordinal), p.Tensor))];
        string[] groups = [.. s_functionalGroups.Select(g => g.Replace("layers/lstm", "layers/rnn", StringComparison.Ordinal))];
        Model reference = Model.FromJson(KerasConfigs.FunctionalSequenceModel);
        var values = RandomValues(reference, s_functionalPaths, seed: 13);
        string archive = WriteArchive("rnn-cells.keras", root.ToJsonString(), groups, paths.Select(p => (p.Path, values[p.Tensor])));

        Model model = KerasFormat.LoadModel(archive);

        Lstm lstm = Assert.IsType<Lstm>(model.GetLayer("lstm"));
        Assert.True(lstm.ReturnSequences);
        Assert.True(lstm.ZeroOutputForMask);
        var wrapped = Assert.IsType<Bidirectional>(model.GetLayer("bidirectional"));
        Assert.IsType<Gru>(wrapped.ForwardLayer);
        Assert.True(Assert.IsType<Gru>(wrapped.BackwardLayer).GoBackwards);
        SetParameters(reference, values);
        Tensor x = Tensor.RandomNormal(new TensorShape(7, 6, 3), seed: 15);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [Theory]
    [InlineData("""{"module": "my_cells", "class_name": "LSTMCell", "config": {"units": 5}, "registered_name": "MyPackage>LSTMCell"}""", "\"LSTMCell\"")]
    [InlineData("null", "\"(none)\"")]
    public void LoadModel_RnnOverAnotherCell_IsRefusedNamingTheLayerAndCell(string cell, string named)
    {
        var root = (JsonObject)JsonNode.Parse(KerasConfigs.FunctionalSequenceModel)!;
        JsonObject item = root["config"]!["layers"]!.AsArray().OfType<JsonObject>().Single(i => (string?)i["name"] == "lstm");
        AsRnn(item, "LSTMCell", "lstm_cell");
        item["config"]!["cell"] = JsonNode.Parse(cell);

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Zip(("config.json", root.ToJsonString())), "cells.keras"));

        Assert.StartsWith("cells.keras: config.json: layer 'lstm' is an RNN over a cell of class " + named, error.Message, StringComparison.Ordinal);
        Assert.Contains("SimpleRNNCell, LSTMCell or GRUCell", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void SaveModel_TfIdfIntegerLookup_WritesVarsIdfWeightsAsKerasDoesAndLoadsBack()
    {
        var model = new Sequential([new InputLayer(3), new IntegerLookup(maxTokens: 6, vocabulary: [1, 2], idfWeights: [0.5f, 1.5f], outputMode: CategoryOutputMode.TfIdf, padToMaxTokens: true, name: "lookup"), new Dense(2, name: "dense")]);
        string archive = Path.Combine(_folder, "tfidf.keras"), weights = Path.Combine(_folder, "tfidf.weights.h5");

        KerasFormat.SaveModel(model, archive);
        KerasFormat.SaveWeights(model, weights);

        // index_lookup.py: set_vocabulary pads the given weights in front with their np.average for the OOV index and
        // behind with zeros to max_tokens; save_own_variables writes them as store["idf_weights"], float32, no vars/0.
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        JsonNode idf = datasets["layers/integer_lookup/vars/idf_weights"]!;
        Assert.Equal("float32", (string?)idf["dtype"]);
        Assert.Equal([6], idf["shape"]!.AsArray().Select(d => (int)d!));
        Assert.Equal([1.0, 0.5, 1.5, 0, 0, 0], idf["values"]!.AsArray().Select(v => (double)v!));
        Assert.Equal(["layers/dense/vars/0", "layers/dense/vars/1", "layers/integer_lookup/vars/idf_weights"], datasets.Select(d => d.Key).Order(StringComparer.Ordinal));
        Model loaded = KerasFormat.LoadModel(archive);
        Assert.Equal([1f, 0.5f, 1.5f], Assert.IsType<IntegerLookup>(loaded.GetLayer("lookup")).GetIdfWeights());
        Tensor x = Tensor.FromArray([1f, 2f, 2f, 7f, 1f, 1f], 2, 3);
        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_KerasTfIdfLookup_ComputesWithVarsIdfWeightsOverTheConfigs()
    {
        // Keras' load_own_variables assigns vars/idf_weights over the weights the config's vocabulary and idf_weights gave.
        float[] kernel = [.. Enumerable.Range(0, 12).Select(i => 0.1f * i)];
        string archive = WriteArchive("keras-tfidf.keras", KerasConfigs.TfIdfLookup, ["", "layers/input_layer", "layers/integer_lookup", "layers/dense"],
        [
            ("layers/integer_lookup/vars/idf_weights", Tensor.FromArray([2f, 3f, 4f, 0f, 0f, 0f], 6)),
            ("layers/dense/vars/0", Tensor.FromArray(kernel, 6, 2)),
            ("layers/dense/vars/1", Tensor.FromArray([0.5f, -0.5f], 2)),
        ]);

        Model model = KerasFormat.LoadModel(archive);

        Assert.Equal([2f, 3f, 4f], Assert.IsType<IntegerLookup>(model.GetLayer("integer_lookup")).GetIdfWeights());
        // Indices: OOV 0, token 1 -> 1, token 2 -> 2. [1, 2, 2] counts (0, 1, 2) -> tf-idf (0, 3, 8); [7, 1, 9] -> (2*2, 3, 0).
        float[][] tfIdf = [[0, 3, 8, 0, 0, 0], [4, 3, 0, 0, 0, 0]];
        float[] expected = [.. tfIdf.SelectMany(row => new[] { 0, 1 }.Select(j => row.Select((h, i) => h * kernel[(i * 2) + j]).Sum() + (j == 0 ? 0.5f : -0.5f)))];
        float[] actual = model.Predict(Tensor.FromArray([1f, 2f, 2f, 7f, 1f, 9f], 2, 3)).AsReadOnlySpan().ToArray();
        Assert.Equal(expected, actual, (a, b) => Math.Abs(a - b) < 1e-5f);
    }

    [Theory]
    [InlineData("missing", "dataset 'layers/integer_lookup/vars/idf_weights' is missing")]
    [InlineData("short", "has shape (3) but the layer's TF-IDF weight vector (one weight per index, padded to max_tokens) is (6,)")]
    [InlineData("nan", "holds NaN at index 1")]
    public void LoadWeights_BadTfIdfDataset_IsRefusedNamingTheLayerAndNothingChanges(string problem, string message)
    {
        Model model = NeuralNetModelFile.Architecture(KerasConfigs.TfIdfLookup, "test");
        var lookup = (IntegerLookup)model.GetLayer("integer_lookup");
        float[] kernelBefore = model.GetLayer("dense").Parameters[0].Value.AsReadOnlySpan().ToArray();
        var datasets = new List<(string Path, Tensor Value)>
        {
            ("layers/dense/vars/0", Tensor.Zeros(6, 2)),
            ("layers/dense/vars/1", Tensor.FromArray([1f, 1f], 2)),
        };
        if (problem != "missing")
        {
            datasets.Add(("layers/integer_lookup/vars/idf_weights", problem == "short" ? Tensor.FromArray([1f, 2f, 3f], 3) : Tensor.FromArray([1f, float.NaN, 3f, 0f, 0f, 0f], 6)));
        }

        // h5py's JSON spec cannot carry a NaN: this package's own writer makes the file.
        string path = Path.Combine(_folder, problem + ".weights.h5");
        WritePureHdf(path, [.. datasets]);

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("layer 'integer_lookup' (IntegerLookup", error.Message, StringComparison.Ordinal);
        Assert.Equal([1f, 0.5f, 1.5f], lookup.GetIdfWeights());
        Assert.Equal(kernelBefore, model.GetLayer("dense").Parameters[0].Value.AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadWeights_KerasTfIdfWeights_SetTheLookupsWeights()
    {
        Model model = NeuralNetModelFile.Architecture(KerasConfigs.TfIdfLookup, "test");
        string path = Path.Combine(_folder, "keras-tfidf.weights.h5");
        H5py.Write(path, ["layers/integer_lookup", "layers/dense"],
        [
            ("layers/integer_lookup/vars/idf_weights", [6], "float64", [0.25, -1, 2, 9, 9, 9]),
            ("layers/dense/vars/0", [6, 2], "float32", new double[12]),
            ("layers/dense/vars/1", [2], "float32", [1, 1]),
        ]);

        KerasFormat.LoadWeights(model, path);

        // The values behind the vocabulary (indices no token maps to) multiply zero counts; only the vocabulary's are kept.
        Assert.Equal([0.25f, -1f, 2f], ((IntegerLookup)model.GetLayer("integer_lookup")).GetIdfWeights());
        Assert.Equal([1f, 1f], model.GetLayer("dense").Parameters[1].Value.AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void SaveModel_TfIdfIntegerLookupWithoutVocabulary_IsRefusedAndWritesNothing()
    {
        // Keras' save_own_variables reads idf_weights_const, which a tf_idf lookup has only once it has a vocabulary.
        var model = new Sequential([new InputLayer(3), new IntegerLookup(maxTokens: 4, outputMode: CategoryOutputMode.TfIdf, padToMaxTokens: true, name: "lookup")]);
        string archive = Path.Combine(_folder, "tfidf.keras"), weights = Path.Combine(_folder, "tfidf.weights.h5");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, archive));
        Assert.Throws<NotSupportedException>(() => KerasFormat.SaveWeights(model, weights));

        Assert.Contains("Layer 'lookup' (IntegerLookup) is in TfIdf mode without a vocabulary", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(archive));
        Assert.False(File.Exists(weights));
    }

    [H5pyFact]
    public void LoadModel_Keras2RnnOverLstmCell_PredictsWithItsWeights()
    {
        // tf.keras 2's RNN(LSTMCell(3)) named "lstm" keeps its weights as the LSTM layer's: lstm/lstm_cell/kernel:0, ...
        var ids = new Input(new TensorShape(5), "ids");
        SymbolicTensor h = new Lstm(3, name: "lstm").Call(new Embedding(10, 4, name: "embedding").Call(ids));
        var reference = new Functional(ids, new Concatenate(name: "concatenate").Call(
            new Dense(2, ActivationFunction.Relu, name: "dense").Call(h), new Dense(2, ActivationFunction.Tanh, name: "dense_1").Call(h)));
        var root = (JsonObject)JsonNode.Parse(Keras2Configs.Functional)!;
        AsRnn(root["config"]!["layers"]!.AsArray().OfType<JsonObject>().Single(i => (string?)i["name"] == "lstm"), "LSTMCell", "lstm_cell");
        string path = WriteKeras2(reference, "rnn-cell.h5", root.ToJsonString(), "model_weights", seed: 91);

        using FileStream stream = File.OpenRead(path);
        Model model = KerasFormat.LoadModel(stream, "rnn-cell.h5");

        Assert.IsType<Lstm>(model.GetLayer("lstm"));
        Tensor x = Tensor.FromArray([1, 2, 3, 4, 5, 0, 0, 9, 8, 7], 2, 5);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    // A recurrent layer's item rewritten as Keras' RNN over the layer's cell: the RNN keeps its own keys (rnn.py's
    // get_config) and the cell the rest (units, activations, initializers, dropout, ...), as Keras writes them.
    private static void AsRnn(JsonObject item, string cellClass, string cellName)
    {
        string[] rnnKeys = ["name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major", "zero_output_for_mask"];
        var layerConfig = (JsonObject)item["config"]!;
        JsonObject rnnConfig = [], cellConfig = new() { ["name"] = cellName, ["trainable"] = true, ["dtype"] = layerConfig["dtype"]?.DeepClone() };
        foreach (var (key, value) in layerConfig)
        {
            (rnnKeys.Contains(key) ? rnnConfig : cellConfig)[key] = value?.DeepClone();
        }

        rnnConfig["cell"] = new JsonObject { ["module"] = "keras.layers", ["class_name"] = cellClass, ["config"] = cellConfig, ["registered_name"] = null };
        item["class_name"] = "RNN";
        item["config"] = rnnConfig;
    }

    [H5pyFact]
    public void LoadModel_Keras2FunctionalH5_PredictsWithItsWeights()
    {
        var ids = new Input(new TensorShape(5), "ids");
        SymbolicTensor h = new Lstm(3, name: "lstm").Call(new Embedding(10, 4, name: "embedding").Call(ids));
        var reference = new Functional(ids, new Concatenate(name: "concatenate").Call(
            new Dense(2, ActivationFunction.Relu, name: "dense").Call(h), new Dense(2, ActivationFunction.Tanh, name: "dense_1").Call(h)));
        string path = WriteKeras2(reference, "functional.hdf5", Keras2Configs.Functional, "model_weights", seed: 61);

        using FileStream stream = File.OpenRead(path);
        Model model = KerasFormat.LoadModel(stream, "functional.hdf5");

        Tensor x = Tensor.FromArray([1, 2, 3, 4, 5, 0, 0, 9, 8, 7], 2, 5);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_Keras2NestedModelH5_IsInlinedWithTheNestedModelsWeights()
    {
        var input = new Input(new TensorShape(4), "input_2");
        SymbolicTensor h = new Dense(2, name: "dense_1").Call(new Dense(3, ActivationFunction.Relu, name: "dense").Call(input));
        var reference = new Functional(input, new Dense(1, ActivationFunction.Sigmoid, name: "dense_2").Call(h));
        long seed = 81;
        (string, int[], double[]) Weight(string layer, string parameter)
        {
            Parameter p = reference.GetLayer(layer).Parameters.Single(q => q.Name == parameter);
            Tensor value = Tensor.RandomNormal(p.Shape, seed++, 0f, 0.5f);
            value.AsReadOnlySpan().CopyTo(p.Value.AsSpan());
            return ($"{layer}/{parameter}:0", p.Shape.Dimensions.ToArray(), [.. value.AsReadOnlySpan().ToArray().Select(v => (double)v)]);
        }

        string path = Path.Combine(_folder, "transfer.h5");
        H5py.WriteLegacy(path, new Dictionary<string, string> { ["model_config"] = Keras2Configs.NestedFunctional }, "model_weights",
        [
            ("input_2", []),
            ("encoder", [Weight("dense", "kernel"), Weight("dense", "bias"), Weight("dense_1", "kernel"), Weight("dense_1", "bias")]),
            ("dense_2", [Weight("dense_2", "kernel"), Weight("dense_2", "bias")]),
        ]);

        Model model = KerasFormat.LoadModel(path);

        Tensor x = Tensor.RandomNormal(new TensorShape(4, 4), seed: 7);
        Assert.Equal(["input_2", "dense", "dense_1", "dense_2"], model.Layers.Select(l => l.Name));
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_Keras2NestedModelWithBatchNormalization_TakesWeightsInKerasOrder()
    {
        var input = new Input(new TensorShape(4), "input_2");
        SymbolicTensor h = new BatchNormalization(name: "batch_normalization").Call(new Dense(3, ActivationFunction.Relu, name: "dense").Call(input));
        h = new Dense(2, name: "dense_1").Call(h);
        var reference = new Functional(input, new Dense(1, ActivationFunction.Sigmoid, name: "dense_2").Call(h));
        var values = new Dictionary<string, Tensor>();
        long seed = 91;
        (string, int[], double[]) Weight(string layer, string parameter, string savedName)
        {
            Parameter p = reference.GetLayer(layer).Parameters.Single(q => q.Name == parameter);
            Tensor value = parameter == "moving_variance" ? Tensor.RandomUniform(p.Shape, seed++, 0.5f, 2f) : Tensor.RandomNormal(p.Shape, seed++, 0f, 0.5f);
            value.AsReadOnlySpan().CopyTo(p.Value.AsSpan());
            return (savedName, p.Shape.Dimensions.ToArray(), [.. value.AsReadOnlySpan().ToArray().Select(v => (double)v)]);
        }

        // tf.keras' model.weights for the nested model: the trainable weights of every layer, then the moving statistics.
        // The names are those of a renumbered session (dense_5, ...), which Keras does not read: it goes by order.
        (string, int[], double[])[] baseWeights =
        [
            Weight("dense", "kernel", "dense_5/kernel:0"), Weight("dense", "bias", "dense_5/bias:0"),
            Weight("batch_normalization", "gamma", "batch_normalization_2/gamma:0"), Weight("batch_normalization", "beta", "batch_normalization_2/beta:0"),
            Weight("dense_1", "kernel", "dense_6/kernel:0"), Weight("dense_1", "bias", "dense_6/bias:0"),
            Weight("batch_normalization", "moving_mean", "batch_normalization_2/moving_mean:0"),
            Weight("batch_normalization", "moving_variance", "batch_normalization_2/moving_variance:0"),
        ];
        string path = Path.Combine(_folder, "base-with-bn.h5");
        H5py.WriteLegacy(path, new Dictionary<string, string> { ["model_config"] = Keras2Configs.NestedWithBatchNormalization }, "model_weights",
            [("input_2", []), ("base", baseWeights), ("dense_2", [Weight("dense_2", "kernel", "dense_7/kernel:0"), Weight("dense_2", "bias", "dense_7/bias:0")])],
            split: true);

        Model model = KerasFormat.LoadModel(path);

        Tensor x = Tensor.RandomNormal(new TensorShape(5, 4), seed: 2);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_Keras22NestedSequentialCalledAsNodeOne_IsInlined()
    {
        var input = new Input(new TensorShape(4), "input_3");
        var reference = new Functional(input, new Dense(1, name: "dense_1").Call(new Dense(3, ActivationFunction.Relu, name: "dense").Call(input)));
        string path = WriteKeras2(reference, "keras22.h5", Keras2Configs.NestedSequentialWithoutInputLayer, "model_weights", seed: 101,
            groupOf: layer => layer == "dense" ? "head" : layer);

        Model model = KerasFormat.LoadModel(path);

        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4), seed: 8);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_Keras2SequentialWithItsInputLayer_PredictsWithItsWeights()
    {
        var reference = new Sequential([new Input(4).Layer, new Dense(3, ActivationFunction.Relu, name: "dense"), new Dense(2, ActivationFunction.Softmax, name: "dense_1")]);
        string path = WriteKeras2(reference, "tf2-sequential.h5", Keras2Configs.SequentialWithInputLayer, "model_weights", seed: 111);

        Model model = KerasFormat.LoadModel(path);

        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4), seed: 1);
        Assert.Equal(["dense_input", "dense", "dense_1"], model.Layers.Select(l => l.Name));
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void LoadModel_Keras2TimeMajorRecurrentLayer_IsRefusedNamingIt()
    {
        string config = Keras2Configs.Functional.Replace("\"time_major\": false", "\"time_major\": true", StringComparison.Ordinal);
        Assert.NotEqual(Keras2Configs.Functional, config);
        var error = Assert.Throws<NotSupportedException>(() => KerasLegacyConfig.Convert((JsonObject)JsonNode.Parse(config)!, "old.h5"));
        Assert.Contains("layer 'lstm' (LSTM) has time_major: true", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadWeights_Keras2WeightsFile_MatchesLayersWithWeightsByOrder()
    {
        var saved = new Sequential([new Input(4).Layer, new Dense(8, name: "dense_7"), new Dropout(0.5, name: "dropout_3"), new Dense(3, name: "dense_8")], seed: 4);
        string path = WriteKeras2(saved, "weights.h5", modelConfig: null, group: string.Empty, seed: 71);
        var model = new Sequential([new Input(4).Layer, new Dense(8), new Dropout(0.5), new Dense(3)], seed: 9);

        KerasFormat.LoadWeights(model, path);

        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4), seed: 5);
        Assert.Equal(saved.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());

        var shorter = new Sequential([new Input(4).Layer, new Dense(3)]);
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(shorter, path));
        Assert.Contains("the first 1 of the file's 2 groups with weights fill the 1 layers with weights of model 'sequential': group 'dense_8' (dense_8/kernel:0, dense_8/bias:0) has no layer left", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadModel_Keras2WeightsOnlyFile_IsRefusedWithTheReason()
    {
        var saved = new Sequential([new Input(4).Layer, new Dense(3)]);
        string path = WriteKeras2(saved, "only-weights.h5", modelConfig: null, group: string.Empty, seed: 1);
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(path));
        Assert.Contains("no model_config attribute", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadWeights_MissingDataset_IsNamedAndNothingChanges()
    {
        var model = new Sequential([new Input(2).Layer, new Dense(3, name: "hidden"), new Dense(1, name: "out")]);
        string path = Path.Combine(_folder, "partial.weights.h5");
        WritePureHdf(path, [("layers/dense/vars/0", Tensor.Ones(2, 3)), ("layers/dense/vars/1", Tensor.Ones(3)), ("layers/dense_1/vars/0", Tensor.Ones(3, 1))]);
        float[] before = [.. model.Layers.SelectMany(l => l.Parameters).SelectMany(p => p.Value.AsReadOnlySpan().ToArray())];

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains("'layers/dense_1/vars/1' is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'bias' (1,) of layer 'out' (Dense)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Layers.SelectMany(l => l.Parameters).SelectMany(p => p.Value.AsReadOnlySpan().ToArray()));
    }

    [Fact]
    public void LoadWeights_DatasetOfAnotherShape_NamesBothShapes()
    {
        var model = new Sequential([new Input(2).Layer, new Dense(3)]);
        string path = Path.Combine(_folder, "shape.weights.h5");
        WritePureHdf(path, [("layers/dense/vars/0", Tensor.Ones(3, 2)), ("layers/dense/vars/1", Tensor.Ones(3))]);
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));
        Assert.Contains("'layers/dense/vars/0' has shape (3, 2) but the parameter is (2, 3); it should hold parameter 'kernel' (2, 3) of layer 'dense' (Dense)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadWeights_DatasetNoParameterTakes_IsRefused()
    {
        var model = new Sequential([new Input(2).Layer, new Dense(3)]);
        string path = Path.Combine(_folder, "extra.weights.h5");
        WritePureHdf(path, [("layers/dense/vars/0", Tensor.Ones(2, 3)), ("layers/dense/vars/1", Tensor.Ones(3)), ("layers/dense_1/vars/0", Tensor.Ones(3, 1))]);
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));
        Assert.Contains("dataset 'layers/dense_1/vars/0' belongs to no parameter of the model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_KerasOperationWithALayersArguments_IsRefusedNamingTheArgument()
    {
        // An operation item whose class name equals the Concatenate layer's, with the layer's config: ops.concatenate
        // takes axis only, so trainable is an argument NeuralNet would not honour.
        string config = KerasConfigs.FunctionalSequenceModel.Replace(
            "{\"module\": \"keras.layers\", \"class_name\": \"Concatenate\"",
            "{\"module\": \"keras.src.ops.numpy\", \"class_name\": \"Concatenate\"", StringComparison.Ordinal);
        Assert.NotEqual(KerasConfigs.FunctionalSequenceModel, config);
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", config)), "ops.keras"));
        Assert.Contains("operation 'concatenate' (keras.src.ops.numpy.Concatenate), argument 'trainable': trainable=true is not an argument NeuralNet reads for Concatenate (it reads axis)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveAndLoad_OtherExtensions_AreRefused()
    {
        var model = new Sequential([new Input(2).Layer, new Dense(3)]);
        Assert.Throws<ArgumentException>(() => KerasFormat.SaveWeights(model, Path.Combine(_folder, "model.h5")));
        Assert.Throws<ArgumentException>(() => KerasFormat.LoadModel(Path.Combine(_folder, "model.zip")));
        Assert.False(File.Exists(Path.Combine(_folder, "model.h5")));
    }

    [Fact]
    public void LoadModel_ArchivesThatAreNotKerasModels_AreRefusedWithTheReason()
    {
        Assert.Contains("not a .keras archive", Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(new MemoryStream([1, 2, 3]), "junk.keras")).Message, StringComparison.Ordinal);
        Assert.Contains("has no config.json", Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Zip(("metadata.json", "{}")), "empty.keras")).Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Zip(("config.json", "{")), "bad.keras")).Message, StringComparison.Ordinal);
        string subclassed = """{"module": "__main__", "class_name": "MyModel", "config": {}, "registered_name": "MyModel"}""";
        Assert.Contains("class \"MyModel\"", Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", subclassed)), "sub.keras")).Message, StringComparison.Ordinal);
        Assert.Contains("model.weights.npz", Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Zip(("config.json", KerasConfigs.SequentialMlp), ("model.weights.npz", "x")), "npz.keras")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_JsonThatJsonNodeWouldTripOverLater_IsRefusedWhenRead()
    {
        // A repeated key: System.Text.Json's nodes throw ArgumentException only when the object is first looked into.
        string repeated = KerasConfigs.SequentialMlp.Replace("\"class_name\": \"Sequential\",", "\"class_name\": \"Sequential\", \"class_name\": \"Functional\",", StringComparison.Ordinal);
        Assert.NotEqual(KerasConfigs.SequentialMlp, repeated);
        var ex = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Zip(("config.json", repeated)), "twice.keras"));
        Assert.StartsWith("twice.keras: config.json: an object holds the key \"class_name\" twice (byte ", ex.Message, StringComparison.Ordinal);

        // An unpaired surrogate escape: valid JSON, but no .NET string.
        ex = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Zip(("config.json", """{"class_name": "Seq\ud800uential", "config": {}}""")), "surrogate.keras"));
        Assert.StartsWith("surrogate.keras: config.json: the string at byte 15 is no text: it escapes an unpaired surrogate", ex.Message, StringComparison.Ordinal);

        // metadata.json is not read by Keras' load_model: a damaged one is ignored, not refused.
        string path = Path.Combine(_folder, "metadata-twice.keras");
        KerasFormat.SaveModel(new Sequential([new Input(2).Layer, new Dense(3)]), path);
        using (ZipArchive archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            archive.GetEntry("metadata.json")!.Delete();
            using var writer = new StreamWriter(archive.CreateEntry("metadata.json").Open());
            writer.Write("""{"keras_version": "3.1.0", "keras_version": "3.2.0"}""");
        }

        Assert.Equal(new TensorShape(3), KerasFormat.LoadModel(path).OutputShape);
    }

    private string WriteKeras2(Model model, string name, string? modelConfig, string group, long seed, Func<string, string>? groupOf = null) =>
        Keras2Files.Write(model, Path.Combine(_folder, name), modelConfig, group, seed, groupOf);

    // The nested config inlined the way LoadModel inlines it, for a reference model built from the same layers.
    private static string Flat(string config) => KerasModelInliner.Inline((JsonObject)JsonNode.Parse(config)!, "test").Root.ToJsonString();

    private static MemoryStream Zip(params (string Name, string Text)[] entries)
    {
        var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, text) in entries)
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write(text);
            }
        }

        stream.Position = 0;
        return stream;
    }

    // A .keras archive as Keras' _save_model_to_fileobj writes it: metadata.json, config.json, then model.weights.h5 (h5py).
    private string WriteArchive(string name, string config, IEnumerable<string> groups, IEnumerable<(string Path, Tensor Value)> weights, string kerasVersion = "3.12.0")
    {
        string h5 = Path.Combine(_folder, name + ".weights.h5");
        H5py.Write(h5, groups, weights.Select(w => (w.Path, w.Value.Shape.Dimensions.ToArray(), "float32", w.Value.AsReadOnlySpan().ToArray().Select(v => (double)v).ToArray())));
        string path = Path.Combine(_folder, name);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var writer = new StreamWriter(archive.CreateEntry("metadata.json").Open()))
            {
                writer.Write($$"""{"keras_version": "{{kerasVersion}}", "date_saved": "2026-12-05@07:00:00"}""");
            }

            using (var writer = new StreamWriter(archive.CreateEntry("config.json").Open()))
            {
                writer.Write(config);
            }

            archive.CreateEntryFromFile(h5, "model.weights.h5");
        }

        return path;
    }

    private static Dictionary<string, Tensor> RandomValues(Model model, IEnumerable<(string Path, string Tensor)> paths, long seed)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (_, tensorName) in paths)
        {
            string[] parts = tensorName.Split('/', 2);
            Parameter parameter = model.GetLayer(parts[0]).Parameters.Single(p => p.Name == parts[1]);
            Tensor value = Tensor.RandomNormal(parameter.Shape, seed++, 0f, 0.5f);
            if (parts[1] == "moving_variance")
            {
                value = Tensor.RandomUniform(parameter.Shape, seed++, 0.5f, 2f);
            }

            values[tensorName] = value;
        }

        return values;
    }

    private static void SetParameters(Model model, Dictionary<string, Tensor> values)
    {
        foreach (var (tensorName, value) in values)
        {
            string[] parts = tensorName.Split('/', 2);
            value.AsReadOnlySpan().CopyTo(model.GetLayer(parts[0]).Parameters.Single(p => p.Name == parts[1]).Value.AsSpan());
        }
    }

    private static void WritePureHdf(string path, (string Path, Tensor Value)[] datasets)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        H5WeightsWriter.Write(stream, [], datasets.Select(d => (d.Path, d.Value, false)));
    }
}
