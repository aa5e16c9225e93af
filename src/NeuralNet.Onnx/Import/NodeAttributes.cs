using System.Globalization;
using Google.Protobuf;
using NeuralNet.Onnx.Protobuf;
using AttributeType = NeuralNet.Onnx.Protobuf.AttributeProto.Types.AttributeType;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// A node's attributes, checked against the names its converter reads: an attribute the converter does not know is refused,
/// so no setting of the file is silently ignored.
/// </summary>
internal sealed class NodeAttributes
{
    private readonly ImportedNode _node;
    private readonly Dictionary<string, AttributeProto> _attributes = new(StringComparer.Ordinal);

    /// <exception cref="NotSupportedException">The node has an attribute outside <paramref name="known"/>.</exception>
    public NodeAttributes(ImportedNode node, params string[] known)
    {
        _node = node;
        foreach (AttributeProto attribute in node.Proto.Attribute)
        {
            if (!known.Contains(attribute.Name, StringComparer.Ordinal))
            {
                throw node.Refuse($"attribute '{attribute.Name}' is not one NeuralNet.Onnx reads for {node.OpType} (it reads {(known.Length == 0 ? "none" : string.Join(", ", known))})");
            }

            if (!_attributes.TryAdd(attribute.Name, attribute))
            {
                throw node.Invalid($"attribute '{attribute.Name}' is given twice");
            }
        }
    }

    /// <summary>Whether the node sets attribute <paramref name="name"/>.</summary>
    public bool Has(string name) => _attributes.ContainsKey(name);

    /// <summary>An INT attribute, <paramref name="fallback"/> when absent.</summary>
    public long Int(string name, long fallback) => Get(name, AttributeType.Int) is AttributeProto a ? a.I : fallback;

    /// <summary>A FLOAT attribute, <paramref name="fallback"/> when absent.</summary>
    public float Float(string name, float fallback) => Get(name, AttributeType.Float) is AttributeProto a ? a.F : fallback;

    /// <summary>A STRING attribute, <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) => Get(name, AttributeType.String) is AttributeProto a ? a.S.ToStringUtf8() : fallback;

    /// <summary>An INTS attribute, null when absent.</summary>
    public long[]? Ints(string name) => Get(name, AttributeType.Ints) is AttributeProto a ? [.. a.Ints] : null;

    /// <summary>A FLOATS attribute, null when absent.</summary>
    public float[]? Floats(string name) => Get(name, AttributeType.Floats) is AttributeProto a ? [.. a.Floats] : null;

    /// <summary>A TENSOR attribute, null when absent.</summary>
    public TensorProto? Tensor(string name) => Get(name, AttributeType.Tensor)?.T;

    /// <summary>An INTS attribute of <paramref name="count"/> values, each <paramref name="fallback"/> when absent.</summary>
    public long[] Ints(string name, int count, long fallback)
    {
        long[] values = Ints(name) ?? [.. Enumerable.Repeat(fallback, count)];
        if (values.Length != count)
        {
            throw _node.Invalid(string.Create(CultureInfo.InvariantCulture, $"attribute '{name}' holds {values.Length} values {ImportText.List(values)} where {count} are expected"));
        }

        return values;
    }

    private AttributeProto? Get(string name, AttributeType type)
    {
        if (!_attributes.TryGetValue(name, out AttributeProto? attribute))
        {
            return null;
        }

        // Files from old writers leave the type unset; the field that holds a value tells it then.
        AttributeType actual = attribute.Type != AttributeType.Undefined ? attribute.Type : Infer(attribute);
        if (actual != type)
        {
            throw _node.Invalid($"attribute '{name}' is of type {actual}, expected {type}");
        }

        return attribute;
    }

    private static AttributeType Infer(AttributeProto a) =>
        a.Ints.Count > 0 ? AttributeType.Ints
        : a.Floats.Count > 0 ? AttributeType.Floats
        : a.T is not null ? AttributeType.Tensor
        : a.S != ByteString.Empty ? AttributeType.String
        : a.F != 0 ? AttributeType.Float
        : AttributeType.Int;
}
