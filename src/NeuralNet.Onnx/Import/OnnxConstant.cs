using System.Buffers.Binary;
using System.Globalization;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// A constant of an ONNX graph (an initializer, a Constant node's value, or a value folded at import from them and from
/// the static shapes of computed tensors), read into doubles whatever its element type.
/// </summary>
/// <remarks>Doubles hold float32 weights and int64 shapes (below 2^53) exactly, so one array serves both.</remarks>
internal sealed class OnnxConstant
{
    /// <summary>ONNX's element type codes the importer reads.</summary>
    public const int Float = 1, Int32 = 6, Int64 = 7, Double = 11;

    /// <param name="dims">The ONNX dimensions; empty for a scalar.</param>
    /// <param name="values">The elements, row-major.</param>
    /// <param name="elementType">ONNX's element type code (float by default): integer arithmetic truncates, float rounds to float32.</param>
    /// <param name="batch">Which elements stand for the batch length, unknown until run time (a Shape of a computed tensor); null when none do.</param>
    public OnnxConstant(long[] dims, double[] values, int elementType = Float, bool[]? batch = null)
    {
        Dims = dims;
        Values = values;
        ElementType = elementType;
        Batch = batch is not null && batch.Contains(true) ? batch : null;
    }

    /// <summary>ONNX's element type code: <see cref="Float"/>, <see cref="Int32"/>, <see cref="Int64"/> or <see cref="Double"/>.</summary>
    public int ElementType { get; }

    /// <summary>Whether the elements are integers (int32 or int64).</summary>
    public bool IsInteger => ElementType is Int32 or Int64;

    /// <summary>Per element, whether it is the batch length (its value in <see cref="Values"/> is 0 then); null when no element is.</summary>
    public bool[]? Batch { get; }

    /// <summary>Whether an element is the batch length, known only at run time.</summary>
    public bool DependsOnBatch => Batch is not null;

    /// <summary>Whether element <paramref name="index"/> is the batch length.</summary>
    public bool IsBatch(int index) => Batch is not null && Batch[index];

    /// <summary>The ONNX dimensions; empty for a scalar.</summary>
    public long[] Dims { get; }

    /// <summary>The elements, row-major.</summary>
    public double[] Values { get; }

    /// <summary>The dimensions as written in messages: [2, 3], [] for a scalar.</summary>
    public string Shape => ImportText.Dims(Dims);

    /// <summary>The elements as float32 (weights).</summary>
    public float[] ToFloats() => [.. Values.Select(v => (float)v)];

    /// <summary>Reads <paramref name="tensor"/>; <paramref name="what"/> names it in messages ("initializer 'w'").</summary>
    /// <exception cref="NotSupportedException">The element type is not float, double, int32 or int64, or the data lives in an external file.</exception>
    /// <exception cref="InvalidDataException">The dimensions are negative or count more than <see cref="int.MaxValue"/> elements, or the data does not hold as many elements as they say.</exception>
    public static OnnxConstant Read(TensorProto tensor, string what)
    {
        if (tensor.DataLocation == 1 || tensor.ExternalData.Count > 0)
        {
            throw new NotSupportedException($"{what} keeps its data in an external file; NeuralNet.Onnx imports files that hold their weights inline (save the model without external data, e.g. onnx.save(model, path, save_as_external_data=False)).");
        }

        long[] dims = [.. tensor.Dims];
        if (dims.Any(d => d < 0))
        {
            throw new InvalidDataException($"{what} has negative dimensions {ImportText.Dims(dims)}.");
        }

        long count = dims.Any(d => d > int.MaxValue) ? -1 : ImportSizes.Product(dims) ?? -1;
        if (count < 0)
        {
            throw new InvalidDataException($"{what} has dimensions {ImportText.Dims(dims)}: more than 2147483647 elements, or a length above it, which NeuralNet does not hold.");
        }

        int size = tensor.DataType switch
        {
            Float or Int32 => 4,
            Int64 or Double => 8,
            _ => throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                $"{what} has element type {tensor.DataType} ({TypeName(tensor.DataType)}); NeuralNet.Onnx imports float, double, int32 and int64 constants.")),
        };
        double[] values = tensor.RawData.Length > 0 ? FromRaw(tensor.RawData.Span, tensor.DataType, size) : tensor.DataType switch
        {
            Float => [.. tensor.FloatData.Select(v => (double)v)],
            Int32 => [.. tensor.Int32Data.Select(v => (double)v)],
            Int64 => [.. tensor.Int64Data.Select(v => (double)v)],
            _ => [.. tensor.DoubleData],
        };
        if (values.Length != count)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{what} has dimensions {ImportText.Dims(dims)} ({count} elements) but holds {values.Length}."));
        }

        return new OnnxConstant(dims, values, tensor.DataType);
    }

    /// <summary>
    /// <paramref name="length"/> values for a per-feature weight (a bias, a scale): from a constant of that many or of one
    /// (broadcast), leading axes of length 1 allowed, or trailing ones too when <paramref name="perChannel"/> (an image's
    /// (C, 1, 1)); <paramref name="what"/> names it in the refusal.
    /// </summary>
    public float[] Vector(ImportedNode node, int length, string what, bool perChannel = false)
    {
        float[] values = ToFloats();
        bool fits = Dims.Length == 0 || (perChannel ? Dims.Count(d => d != 1) <= 1 : Dims[..^1].All(d => d == 1));
        return fits && values.Length == length ? values
            : fits && values.Length == 1 ? [.. Enumerable.Repeat(values[0], length)]
            : throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"{what} has dimensions {Shape}; {length} values (or one, broadcast) are expected"));
    }

    /// <summary>ONNX's name of element type <paramref name="type"/>, for messages.</summary>
    public static string TypeName(int type) => type switch
    {
        1 => "float",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "double",
        12 => "uint32",
        13 => "uint64",
        16 => "bfloat16",
        _ => "another type",
    };

    // raw_data is little-endian whatever the machine (ONNX's rule).
    private static double[] FromRaw(ReadOnlySpan<byte> raw, int type, int size)
    {
        if (raw.Length % size != 0)
        {
            throw new InvalidDataException($"raw_data of {raw.Length} bytes is not a whole number of {size}-byte elements.");
        }

        var values = new double[raw.Length / size];
        for (int i = 0; i < values.Length; i++)
        {
            ReadOnlySpan<byte> bytes = raw.Slice(i * size, size);
            values[i] = type switch
            {
                Float => BinaryPrimitives.ReadSingleLittleEndian(bytes),
                Int32 => BinaryPrimitives.ReadInt32LittleEndian(bytes),
                Int64 => BinaryPrimitives.ReadInt64LittleEndian(bytes),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
            };
        }

        return values;
    }
}
