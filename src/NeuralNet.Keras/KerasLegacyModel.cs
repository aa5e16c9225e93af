using System.Text.Json.Nodes;
using NeuralNet.Models;
using NeuralNet.Serialization;

namespace NeuralNet.Keras;

/// <summary>Keras 2 (tf.keras) <c>.h5</c> model files, read as Keras 3's <c>legacy_h5_format</c> reads them.</summary>
internal static class KerasLegacyModel
{
    /// <summary>A model from a Keras 2 .h5 model file: its model_config converted to Keras 3's form, its weights matched by layer name.</summary>
    public static Model Load(Stream stream, string source)
    {
        using H5WeightsReader file = H5WeightsReader.Open(stream, source, leaveOpen: true);
        string text = file.StringAttribute(string.Empty, "model_config")
            ?? throw new InvalidDataException($"{source}: the HDF5 file has no model_config attribute: it holds weights only (load them with LoadWeights into a model built in code).");
        JsonObject keras2 = KerasJson.Parse(text, $"{source}: model_config") as JsonObject
            ?? throw new InvalidDataException($"{source}: model_config is not a JSON object.");

        JsonObject converted;
        IReadOnlyList<(string Layer, string Model, string Name)>? origins = null;
        try
        {
            // Weights are matched by layer name and order, which an RNN over a cell keeps as its cell's layer does.
            KerasRnnCells.Rewrite(keras2, $"{source}: model_config");
            converted = KerasLegacyConfig.Convert(keras2, source);
            if (KerasModelInliner.HasNestedModels(converted))
            {
                (converted, _, origins) = KerasModelInliner.Inline(converted, source, "model_config");
            }
        }
        catch (InvalidOperationException ex)
        {
            // A value of another JSON kind than the config allows (a number where a name belongs, ...).
            throw new InvalidDataException($"{source}: model_config is malformed: {ex.Message}", ex);
        }

        string modelConfig = converted.ToJsonString();
        Model architecture = NeuralNetModelFile.Architecture(modelConfig, $"{source}: model_config");

        if (!KerasLegacyWeights.TryFind(file, out string group))
        {
            throw new InvalidDataException($"{source}: the HDF5 file has no layer_names attribute on its model_weights group.");
        }

        var tensors = KerasLegacyWeights.Read(file, group, architecture, byName: true, origins)
            .Select(w => new KeyValuePair<string, Tensor>(w.Layer.Name + "/" + w.Parameter.Name, w.Value)).ToList();
        return NeuralNetModelFile.Load(modelConfig, compileConfig: null, tensors, source);
    }

    /// <summary>Whether the stream, at its position, starts with HDF5's signature (the position is kept).</summary>
    public static bool StartsWithHdf5Signature(Stream stream)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];
        long start = stream.Position;
        Span<byte> head = stackalloc byte[8];
        int read = stream.ReadAtLeast(head, 8, throwOnEndOfStream: false);
        stream.Position = start;
        return read == 8 && head.SequenceEqual(signature);
    }
}
