using System.Buffers.Binary;

namespace NeuralNet.Serialization;

/// <summary>The element types the safetensors format defines, with their sizes and conversion to <see cref="float"/>.</summary>
internal enum SafeTensorsDataType
{
    Bool,
    U8,
    I8,
    F8E5M2,
    F8E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    I64,
    U64,
    F64,
}

/// <summary>Names, sizes and float32 conversion of <see cref="SafeTensorsDataType"/>.</summary>
internal static class SafeTensorsDataTypes
{
    /// <summary>Parses a dtype name as the format spells it (<c>F32</c>, <c>BF16</c>, ...); false for unknown names.</summary>
    public static bool TryParse(string name, out SafeTensorsDataType type)
    {
        switch (name)
        {
            case "BOOL": type = SafeTensorsDataType.Bool; return true;
            case "U8": type = SafeTensorsDataType.U8; return true;
            case "I8": type = SafeTensorsDataType.I8; return true;
            case "F8_E5M2": type = SafeTensorsDataType.F8E5M2; return true;
            case "F8_E4M3": type = SafeTensorsDataType.F8E4M3; return true;
            case "I16": type = SafeTensorsDataType.I16; return true;
            case "U16": type = SafeTensorsDataType.U16; return true;
            case "F16": type = SafeTensorsDataType.F16; return true;
            case "BF16": type = SafeTensorsDataType.BF16; return true;
            case "I32": type = SafeTensorsDataType.I32; return true;
            case "U32": type = SafeTensorsDataType.U32; return true;
            case "F32": type = SafeTensorsDataType.F32; return true;
            case "I64": type = SafeTensorsDataType.I64; return true;
            case "U64": type = SafeTensorsDataType.U64; return true;
            case "F64": type = SafeTensorsDataType.F64; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The size of one element in bytes.</summary>
    public static int Size(SafeTensorsDataType type) => type switch
    {
        SafeTensorsDataType.Bool or SafeTensorsDataType.U8 or SafeTensorsDataType.I8
            or SafeTensorsDataType.F8E5M2 or SafeTensorsDataType.F8E4M3 => 1,
        SafeTensorsDataType.I16 or SafeTensorsDataType.U16 or SafeTensorsDataType.F16 or SafeTensorsDataType.BF16 => 2,
        SafeTensorsDataType.I32 or SafeTensorsDataType.U32 or SafeTensorsDataType.F32 => 4,
        _ => 8,
    };

    /// <summary>Whether elements of this type can be converted to float32 (all but the 8-bit floats).</summary>
    public static bool IsConvertible(SafeTensorsDataType type) => type is not (SafeTensorsDataType.F8E5M2 or SafeTensorsDataType.F8E4M3);

    /// <summary>Converts little-endian elements of <paramref name="type"/> in <paramref name="source"/> to <paramref name="destination"/>.</summary>
    /// <remarks><c>source.Length</c> must be <c>destination.Length * Size(type)</c>.</remarks>
    public static void ToSingle(SafeTensorsDataType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = type switch
            {
                SafeTensorsDataType.Bool => source[i] != 0 ? 1f : 0f,
                SafeTensorsDataType.U8 => source[i],
                SafeTensorsDataType.I8 => (sbyte)source[i],
                SafeTensorsDataType.I16 => BinaryPrimitives.ReadInt16LittleEndian(source[(2 * i)..]),
                SafeTensorsDataType.U16 => BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]),
                SafeTensorsDataType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]),
                SafeTensorsDataType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16),
                SafeTensorsDataType.I32 => BinaryPrimitives.ReadInt32LittleEndian(source[(4 * i)..]),
                SafeTensorsDataType.U32 => BinaryPrimitives.ReadUInt32LittleEndian(source[(4 * i)..]),
                SafeTensorsDataType.F32 => BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]),
                SafeTensorsDataType.I64 => BinaryPrimitives.ReadInt64LittleEndian(source[(8 * i)..]),
                SafeTensorsDataType.U64 => BinaryPrimitives.ReadUInt64LittleEndian(source[(8 * i)..]),
                SafeTensorsDataType.F64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]),
                _ => throw new NotSupportedException($"dtype {type} cannot be converted to float32."),
            };
        }
    }
}
