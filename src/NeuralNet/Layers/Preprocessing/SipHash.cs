using System.Buffers.Binary;
using System.Numerics;

namespace NeuralNet.Layers;

/// <summary>
/// SipHash-2-4 with a 128-bit key given as two 64-bit words (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
/// 2012): TensorFlow's <c>StrongKeyedHash</c> (highwayhash's <c>SipHash(key, bytes)</c>), behind
/// <c>tf.strings.to_hash_bucket_strong</c> and Keras' salted <c>Hashing</c>.
/// </summary>
/// <remarks>
/// <c>k0</c> and <c>k1</c> are the key's two little-endian halves, as highwayhash takes them; the reference
/// implementation's 16-byte key <c>00 01 .. 0f</c> is <c>k0 = 0x0706050403020100</c>, <c>k1 = 0x0f0e0d0c0b0a0908</c>.
/// The tests check the reference implementation's 64 published vectors (vectors.h).
/// </remarks>
internal static class SipHash
{
    /// <summary>SipHash-2-4 of <paramref name="message"/> under the key (<paramref name="k0"/>, <paramref name="k1"/>).</summary>
    public static ulong Hash24(ulong k0, ulong k1, ReadOnlySpan<byte> message)
    {
        ulong v0 = k0 ^ 0x736f6d6570736575UL;
        ulong v1 = k1 ^ 0x646f72616e646f6dUL;
        ulong v2 = k0 ^ 0x6c7967656e657261UL;
        ulong v3 = k1 ^ 0x7465646279746573UL;
        int whole = message.Length & ~7;
        for (int i = 0; i < whole; i += 8)
        {
            ulong m = BinaryPrimitives.ReadUInt64LittleEndian(message[i..]);
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }

        // The last block: the remaining 0..7 bytes, little-endian, with the length's low byte on top.
        ulong last = (ulong)message.Length << 56;
        for (int i = message.Length - 1; i >= whole; i--)
        {
            last |= (ulong)message[i] << (8 * (i - whole));
        }

        v3 ^= last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;
        v2 ^= 0xff;
        for (int i = 0; i < 4; i++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }

        return v0 ^ v1 ^ v2 ^ v3;
    }

    // One SipRound.
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
