using System.Globalization;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

/// <summary>A node of the graph being imported, with the words that name it in messages.</summary>
internal sealed class ImportedNode
{
    public ImportedNode(NodeProto proto, int index, string source)
    {
        Proto = proto;
        Source = source;
        string name = proto.Name.Length > 0 ? $"'{proto.Name}'" : string.Create(CultureInfo.InvariantCulture, $"#{index} (unnamed)");
        Description = $"node {name} ({proto.OpType})";
    }

    public NodeProto Proto { get; }

    public string OpType => Proto.OpType;

    /// <summary>The file or stream, for messages.</summary>
    public string Source { get; }

    /// <summary>node 'conv1' (Conv).</summary>
    public string Description { get; }

    /// <summary>The refusal of something the file may say but the importer does not support.</summary>
    public NotSupportedException Refuse(string detail) => new($"ONNX file '{Source}': {Description}: {detail}.");

    /// <summary>The refusal of something ONNX itself does not allow.</summary>
    public InvalidDataException Invalid(string detail) => new($"ONNX file '{Source}': {Description}: {detail}.");
}
