using System.Numerics;
using System.Runtime.InteropServices;

namespace NeuralNet.Datasets;

/// <summary>Converts unsigned-byte pixels to scaled floats.</summary>
internal static class PixelConversion
{
    // source is (n) bytes, destination is (n) floats: destination[i] = source[i] * scale.
    // Widens Vector<byte> -> 2 x Vector<ushort> -> 4 x Vector<uint> -> float; exact, so it matches the reference bit for bit.
    public static void BytesToSingles(ReadOnlySpan<byte> source, float scale, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats but the source has {source.Length} bytes.", nameof(destination));
        }

        int i = 0;
        int bytesPerVector = Vector<byte>.Count;
        if (Vector.IsHardwareAccelerated && source.Length >= bytesPerVector)
        {
            int floatsPerVector = Vector<float>.Count;
            var scaleVector = new Vector<float>(scale);
            ref byte sourceStart = ref MemoryMarshal.GetReference(source);
            ref float destinationStart = ref MemoryMarshal.GetReference(destination);
            int last = source.Length - bytesPerVector;
            for (; i <= last; i += bytesPerVector)
            {
                Vector<byte> bytes = Vector.LoadUnsafe(ref sourceStart, (nuint)i);
                Vector.Widen(bytes, out Vector<ushort> low16, out Vector<ushort> high16);
                Vector.Widen(low16, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(high16, out Vector<uint> c, out Vector<uint> d);
                nuint at = (nuint)i;
                (Vector.ConvertToSingle(Vector.AsVectorInt32(a)) * scaleVector).StoreUnsafe(ref destinationStart, at);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(b)) * scaleVector).StoreUnsafe(ref destinationStart, at + (nuint)floatsPerVector);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(c)) * scaleVector).StoreUnsafe(ref destinationStart, at + (nuint)(2 * floatsPerVector));
                (Vector.ConvertToSingle(Vector.AsVectorInt32(d)) * scaleVector).StoreUnsafe(ref destinationStart, at + (nuint)(3 * floatsPerVector));
            }
        }

        for (; i < source.Length; i++)
        {
            destination[i] = source[i] * scale;
        }
    }

    /// <summary>Plain reference for <see cref="BytesToSingles"/>.</summary>
    public static void BytesToSinglesReference(ReadOnlySpan<byte> source, float scale, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i] * scale;
        }
    }
}
