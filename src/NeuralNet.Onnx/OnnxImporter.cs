using Google.Protobuf;
using NeuralNet.Models;
using NeuralNet.Onnx.Import;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx;

/// <summary>
/// Reads an ONNX model (from PyTorch's <c>torch.onnx.export</c> or <see cref="OnnxExporter"/>) into a NeuralNet
/// <see cref="Functional"/> model that predicts, trains and saves like any other, with no native runtime. Image inputs are
/// channels last: an ONNX input (N, C, H, W) becomes an <see cref="Input"/> of (H, W, C), and image-shaped outputs are
/// (N, H, W, C). The operators read are listed in <see cref="SupportedOperators"/>; anything else is refused before a
/// layer is built, naming the node, the attribute or input, and what is supported.
/// </summary>
/// <example>
/// <code>
/// Functional model = OnnxImporter.Import("resnet_tiny.onnx");
/// Tensor probabilities = model.Predict(imagesNhwc);
/// </code>
/// </example>
public static class OnnxImporter
{
    /// <summary>
    /// The oldest opset read: 11, PyTorch 1.x's default. Before opset 13 Softmax flattens its input to 2-D around <c>axis</c>
    /// (imported where that is one axis's softmax; LogSoftmax alike), Squeeze and Unsqueeze take their axes and Split its
    /// lengths as attributes, and before 12 Dropout its ratio; Slice's and Reshape's inputs date from opsets 10 and 5.
    /// </summary>
    public const int MinimumOpset = 11;

    /// <summary>The newest opset read.</summary>
    public const int MaximumOpset = 21;

    /// <summary>The ONNX operators (op_type, default domain) the importer reads, in ordinal order.</summary>
    public static IReadOnlyList<string> SupportedOperators { get; } = [.. OpConverters.All.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Reads the ONNX file <paramref name="path"/> into a built <see cref="Functional"/> model with the file's weights.</summary>
    /// <param name="path">An .onnx file holding its weights (not ONNX's external-data files).</param>
    /// <returns>A built, uncompiled model: compile it to train.</returns>
    /// <exception cref="NotSupportedException">An operator, attribute, input, opset or shape is not imported; the message names the node (name, op_type) and what is supported.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model, or breaks ONNX's rules (the message names the place).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Functional Import(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Import(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads an ONNX model from <paramref name="stream"/>, from its position to its end; see <see cref="Import(string)"/>.</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <param name="source">A description used in error messages.</param>
    /// <returns>A built, uncompiled model.</returns>
    /// <exception cref="NotSupportedException">An operator, attribute, input, opset or shape is not imported; the message names the node and what is supported.</exception>
    /// <exception cref="InvalidDataException">The stream holds no ONNX model, or one that breaks ONNX's rules.</exception>
    public static Functional Import(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        }

        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return Import(memory.ToArray(), source);
    }

    private static Functional Import(byte[] bytes, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{source}' is not an ONNX model (it does not parse as ONNX's ModelProto: {e.Message}).", e);
        }

        return ModelImport.Run(model, source);
    }
}
