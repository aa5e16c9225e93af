using System.Buffers.Binary;
using System.Numerics;

namespace NeuralNet.Training.EventFiles;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of TensorFlow's record files, and TensorFlow's masking of it (a stored CRC is
/// rotated and offset so that the CRC of data that holds CRCs stays well-behaved).
/// </summary>
internal static class Crc32C
{
    private const uint MaskDelta = 0xa282ead8u;

    /// <summary>The CRC-32C of <paramref name="data"/>, eight bytes at a time through the CPU's instruction where it has one.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }

    /// <summary>The plain twin: bit by bit with the reflected polynomial 0x82F63B78.</summary>
    public static uint ComputeReference(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>TensorFlow's <c>crc32c::Mask</c>: rotate right by 15 bits and add a constant.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    /// <summary>TensorFlow's <c>crc32c::Unmask</c>, the inverse of <see cref="Mask"/>.</summary>
    public static uint Unmask(uint masked)
    {
        uint rotated = masked - MaskDelta;
        return (rotated >> 17) | (rotated << 15);
    }
}
