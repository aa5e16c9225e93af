using NeuralNet.Models;
using NeuralNet.Serialization;

namespace NeuralNet.Keras;

/// <summary>
/// Creates a model the way NeuralNet loads its own model files: an architecture, the weights by NeuralNet's tensor names
/// (<c>layer/parameter</c>) and a compile configuration, written as a model file in memory and read by <see cref="Model.Load(Stream, string)"/>,
/// so a Keras file's model is created and checked by the one reader of model files.
/// </summary>
internal static class NeuralNetModelFile
{
    /// <summary>The architecture alone, for the layout of its weights (new, unused weights).</summary>
    /// <exception cref="InvalidDataException">The architecture is malformed; the message names <paramref name="where"/>.</exception>
    public static Model Architecture(string modelConfig, string where)
    {
        try
        {
            return Model.FromJson(modelConfig);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{where}: {ex.Message}", ex);
        }
    }

    /// <summary>The model with its weights, its preprocessors (<paramref name="preprocessing"/>: <c>{"name": {"class_name", "config"}}</c>) and, when given, compiled.</summary>
    /// <exception cref="InvalidDataException">The model file's reader refused something; the message says where.</exception>
    public static Model Load(string modelConfig, string? compileConfig, List<KeyValuePair<string, Tensor>> tensors, string source, string? preprocessing = null)
    {
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

        if (preprocessing is not null)
        {
            metadata["preprocessing"] = preprocessing;
        }

        using var file = new MemoryStream();
        SafeTensors.Write(file, tensors, metadata);
        file.Position = 0;
        try
        {
            return Model.Load(file, source);
        }
        catch (InvalidDataException ex) when (compileConfig is not null)
        {
            throw new InvalidDataException($"{ex.Message} (while reading the compile_config)", ex);
        }
    }
}
