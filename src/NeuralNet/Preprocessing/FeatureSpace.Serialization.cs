using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Preprocessing;

// Keras' get_config / from_config, and NeuralNet's file: a safetensors file whose metadata holds the configuration (the
// learned vocabularies and bin boundaries in the preprocessors' own configurations) and whose tensors are the
// Normalization weights, named "{feature}/{weight}" as a model file names "{layer}/{weight}".
public sealed partial class FeatureSpace
{
    private const string Format = "neuralnet.feature_space";
    private const string FormatVersion = "1";
    private const string ConfigKey = "feature_space_config";

    /// <summary>
    /// The space's settings and its preprocessors' configurations with their learned vocabularies and boundaries, under
    /// Keras' keys (Keras' <c>get_config</c>): <c>features</c> (each <c>{"class_name": "Feature", "config": {"dtype",
    /// "preprocessor", "output_mode"}}</c>), <c>output_mode</c>, <c>crosses</c>, <c>crossing_dim</c>, <c>hashing_dim</c>,
    /// <c>num_discretization_bins</c>, <c>name</c>. A Normalization's adapted mean and variance are weights, saved by <see cref="Save"/>.
    /// </summary>
    /// <returns>A new configuration.</returns>
    public Config GetConfig()
    {
        var features = new JsonObject();
        foreach ((string featureName, Feature feature) in _features)
        {
            features[featureName] = new JsonObject
            {
                ["class_name"] = "Feature",
                ["config"] = new JsonObject
                {
                    ["dtype"] = feature.Dtype,
                    ["preprocessor"] = SerializationRegistry.Serialize(_preprocessors[featureName]),
                    ["output_mode"] = FeatureTypes.ModeName(feature.OutputMode),
                },
            };
        }

        var crosses = new JsonArray();
        foreach (FeatureCross cross in _crosses)
        {
            crosses.Add((JsonNode)new JsonObject
            {
                ["class_name"] = "Cross",
                ["config"] = new JsonObject
                {
                    ["feature_names"] = new JsonArray([.. cross.FeatureNames.Select(n => (JsonNode)JsonValue.Create(n))]),
                    ["crossing_dim"] = cross.CrossingDim,
                    ["output_mode"] = FeatureTypes.ModeName(cross.OutputMode),
                },
            });
        }

        return new Config()
            .Set("name", Name)
            .Set("features", features)
            .Set("output_mode", OutputMode == FeatureSpaceOutputMode.Concat ? "concat" : "dict")
            .Set("crosses", crosses)
            .Set("crossing_dim", (long?)CrossingDim)
            .Set("hashing_dim", HashingDim)
            .Set("num_discretization_bins", NumDiscretizationBins);
    }

    /// <summary>
    /// Saves the adapted space to one file, atomically (the previous file stays intact until the new one is complete): a
    /// safetensors file whose metadata holds <see cref="GetConfig"/> and whose tensors are the Normalization weights
    /// (<c>{feature}/mean</c>, <c>{feature}/variance</c>, <c>{feature}/count</c>). <see cref="Load"/> reads it back.
    /// </summary>
    /// <param name="path">The file to write (conventionally <c>*.safetensors</c>); its folder must exist.</param>
    /// <exception cref="InvalidOperationException">The space has not been adapted.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> ends in <c>.keras</c>, <c>.h5</c> or <c>.hdf5</c> (Keras' formats, which this file is not).</exception>
    /// <exception cref="IOException">Writing failed; the previous file is unchanged.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Models.Model.RefuseKerasExtension(path, nameof(path));
        if (!IsAdapted)
        {
            throw new InvalidOperationException($"FeatureSpace '{Name}' has not been adapted: call Adapt(data) before saving it.");
        }

        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach ((string featureName, object preprocessor) in _preprocessors)
        {
            if (preprocessor is Normalization { IsBuilt: true } normalization)
            {
                tensors.AddRange(normalization.Parameters.Select(p => new KeyValuePair<string, Tensor>($"{featureName}/{p.Name}", p.Value)));
            }
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["format_version"] = FormatVersion,
            [ConfigKey] = GetConfig().ToJson(),
        };
        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>Loads a space written by <see cref="Save"/>: its transforms are bit-identical to the saved space's.</summary>
    /// <param name="path">The file.</param>
    /// <returns>A new, adapted space.</returns>
    /// <exception cref="InvalidDataException">The file is not a FeatureSpace file, or its configuration or weights are invalid (a tensor missing, extra or of the wrong shape); the message names the file and the place.</exception>
    /// <exception cref="IOException">The file cannot be read (for example <see cref="FileNotFoundException"/>).</exception>
    public static FeatureSpace Load(string path)
    {
        SafeTensorsFile file = SafeTensors.Load(path);
        if (file.Metadata.GetValueOrDefault("format") != Format)
        {
            throw FormatError.Create(file.Source, null, $"not a FeatureSpace file: its metadata has no \"format\": \"{Format}\".");
        }

        if (file.Metadata.GetValueOrDefault("format_version") != FormatVersion)
        {
            throw FormatError.Create(file.Source, null, $"FeatureSpace file version \"{file.Metadata.GetValueOrDefault("format_version")}\" is not supported (expected \"{FormatVersion}\").");
        }

        Config config;
        try
        {
            using JsonDocument document = JsonDocument.Parse(file.Metadata.GetValueOrDefault(ConfigKey) ?? "null", new JsonDocumentOptions { MaxDepth = 32 });
            config = document.RootElement.ValueKind == JsonValueKind.Object
                ? Config.FromJson(document.RootElement, file.Source, ConfigKey)
                : throw FormatError.Create(file.Source, null, $"the metadata has no \"{ConfigKey}\" object.");
        }
        catch (JsonException e)
        {
            throw FormatError.Create(file.Source, null, $"\"{ConfigKey}\" is not valid JSON: {e.Message}", e);
        }

        FeatureSpace space = FromConfig(config);
        space.RestoreWeights(file);
        space.IsAdapted = true;
        return space;
    }

    /// <summary>Keras' <c>from_config</c>: the features' preprocessors created from their configurations (learned state included).</summary>
    internal static FeatureSpace FromConfig(Config config)
    {
        Config featuresConfig = config.GetConfig("features");
        var features = new Dictionary<string, Feature>(StringComparer.Ordinal);
        foreach (string featureName in featuresConfig.Keys)
        {
            features.Add(featureName, ReadFeature(featuresConfig.GetConfig(featureName).At($"{featuresConfig.Path}.{featureName}"), featureName));
        }

        var crosses = new List<FeatureCross>();
        if (config.GetNode("crosses") is JsonArray items)
        {
            for (int i = 0; i < items.Count; i++)
            {
                Config cross = (items[i] is JsonObject item ? Config.Wrap(item, config.Source, $"{config.Path}.crosses[{i}]") : throw config.Error($"crosses[{i}] is not an object.")).GetConfig("config");
                crosses.Add(Create(cross, () => new FeatureCross([.. cross.GetNode("feature_names")?.AsArray().Select(n => n?.GetValue<string>() ?? string.Empty) ?? []],
                    cross.GetInt32("crossing_dim"), CategoryEncoder.Read(cross, "one_hot"))));
            }
        }

        string mode = config.GetString("output_mode", "concat");
        FeatureSpaceOutputMode outputMode = mode switch
        {
            "concat" => FeatureSpaceOutputMode.Concat,
            "dict" => FeatureSpaceOutputMode.Dict,
            _ => throw config.Error($"Invalid value for argument `output_mode`. Expected one of {{'dict', 'concat'}}. Received: \"{FormatError.Shorten(mode)}\"."),
        };

        return Create(config, () => new FeatureSpace(features, outputMode, crosses, config.Contains("crossing_dim") ? config.GetInt32("crossing_dim") : null,
            config.GetInt32("hashing_dim", 32), config.GetInt32("num_discretization_bins", 32), config.GetString("name", "feature_space")));
    }

    // A feature's configuration: its preprocessor's settings, its dtype and its output mode must fit its preprocessor's class.
    private static Feature ReadFeature(Config item, string featureName)
    {
        Config feature = item.GetConfig("config");
        string dtype = feature.GetString("dtype");
        SerializationRegistry.ComponentKind kind = dtype == FeatureTypes.StringDtype ? SerializationRegistry.ComponentKind.Preprocessor : SerializationRegistry.ComponentKind.Layer;
        Config preprocessorItem = feature.GetConfig("preprocessor");
        object preprocessor = SerializationRegistry.CreateFromItem(kind, preprocessorItem, $"{feature.Path}.preprocessor");
        string type = FeatureTypes.TypeOf(preprocessor)
            ?? throw feature.Error($"feature '{featureName}': the preprocessor class \"{preprocessorItem.GetString("class_name")}\" is not one FeatureSpace supports.");
        if (FeaturePreprocessing.Unfit(preprocessor) is string reason)
        {
            throw feature.Error($"feature '{featureName}': its {type} preprocessor cannot be used: {reason}.");
        }

        if (FeatureTypes.DtypeOf(type) != dtype)
        {
            throw feature.Error($"feature '{featureName}': dtype \"{FormatError.Shorten(dtype)}\" does not fit its {type} preprocessor, which takes \"{FeatureTypes.DtypeOf(type)}\".");
        }

        string mode = feature.GetString("output_mode");
        CategoryOutputMode? outputMode = (FeatureTypes.IsFloat(type), mode) switch
        {
            (true, "float") => null,
            (false, "int") => CategoryOutputMode.Int,
            (false, "one_hot") => CategoryOutputMode.OneHot,
            _ => throw feature.Error($"feature '{featureName}' of type {type}: output_mode \"{FormatError.Shorten(mode)}\" is not valid (expected {(FeatureTypes.IsFloat(type) ? "'float'" : "'int' or 'one_hot'")})."),
        };
        return new Feature(type, preprocessor, outputMode);
    }

    private static T Create<T>(Config config, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw config.Error(e.Message, e);
        }
    }

    // Every tensor checked against the space's Normalization weights before any is copied.
    private void RestoreWeights(SafeTensorsFile file)
    {
        var expected = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach ((string featureName, object preprocessor) in _preprocessors)
        {
            if (preprocessor is Normalization normalization && FeaturePreprocessing.IsAdaptable(normalization))
            {
                normalization.Build(new TensorShape(1));
                foreach (Parameter parameter in normalization.Parameters)
                {
                    expected.Add($"{featureName}/{parameter.Name}", parameter);
                }
            }
        }

        foreach ((string tensorName, Parameter parameter) in expected)
        {
            if (!file.TryGetTensor(tensorName, out Tensor? tensor) || tensor.Shape != parameter.Shape)
            {
                throw FormatError.Create(file.Source, tensorName, string.Create(CultureInfo.InvariantCulture,
                    $"the Normalization weight is {(tensor is null ? "missing" : $"of shape {tensor.Shape}")}; expected shape {parameter.Shape}."));
            }
        }

        foreach (string tensorName in file.Names)
        {
            if (!expected.ContainsKey(tensorName))
            {
                throw FormatError.Create(file.Source, tensorName, "the tensor matches no Normalization weight of the space's features.");
            }
        }

        foreach ((string tensorName, Parameter parameter) in expected)
        {
            file[tensorName].CopyTo(parameter.Value);
            parameter.PendingInitializer = null;
        }
    }
}
