using System.Buffers.Binary;
using System.Numerics;

namespace NeuralNet.Layers;

/// <summary>
/// FarmHash's <c>Fingerprint64</c> (<c>farmhashna::Hash64</c> of github.com/google/farmhash, the function behind
/// TensorFlow's <c>Fingerprint64</c>, <c>tf.strings.to_hash_bucket_fast</c> and Keras' <c>Hashing</c>), and TensorFlow's
/// <c>FingerprintCat64</c>, which <c>tf.sparse.cross_hashed</c> (Keras' <c>HashedCrossing</c>) chains over the features.
/// </summary>
/// <remarks>
/// A port of the portable C++: 64-bit words read little-endian, wrapping unsigned arithmetic. The values are frozen by
/// design ("a portable fingerprint interface for strings that will never change"); the tests check them against
/// farmhash's own self-test table and TensorFlow's fingerprint_test.cc.
/// </remarks>
internal static class FarmHash
{
    // Some primes between 2^63 and 2^64 (farmhash's k0, k1, k2).
    private const ulong K0 = 0xc3a5c85c97cb3127UL;
    private const ulong K1 = 0xb492b66fbe98f273UL;
    private const ulong K2 = 0x9ae16a3b2f90404fUL;

    /// <summary>farmhash's <c>Fingerprint64(s, len)</c> = <c>farmhashna::Hash64</c>.</summary>
    public static ulong Fingerprint64(ReadOnlySpan<byte> s)
    {
        int len = s.Length;
        if (len <= 32)
        {
            return len <= 16 ? HashLen0To16(s) : HashLen17To32(s);
        }

        if (len <= 64)
        {
            return HashLen33To64(s);
        }

        // Over 64 bytes: a loop over 64-byte blocks with 56 bytes of state (v, w, x, y, z).
        const ulong seed = 81;
        ulong x = seed, y = unchecked((seed * K1) + 113), z = ShiftMix((y * K2) + 113) * K2;
        (ulong First, ulong Second) v = (0, 0), w = (0, 0);
        x = (x * K2) + Fetch64(s, 0);

        // After the loop, 1 to 64 bytes are left; the last 64 bytes of the input are hashed again as one block.
        int end = ((len - 1) / 64) * 64;
        int last64 = len - 64;
        int p = 0;
        do
        {
            x = BitOperations.RotateRight(x + y + v.First + Fetch64(s, p + 8), 37) * K1;
            y = BitOperations.RotateRight(y + v.Second + Fetch64(s, p + 48), 42) * K1;
            x ^= w.Second;
            y += v.First + Fetch64(s, p + 40);
            z = BitOperations.RotateRight(z + w.First, 33) * K1;
            v = WeakHashLen32WithSeeds(s, p, v.Second * K1, x + w.First);
            w = WeakHashLen32WithSeeds(s, p + 32, z + w.Second, y + Fetch64(s, p + 16));
            (z, x) = (x, z);
            p += 64;
        }
        while (p != end);

        ulong mul = K1 + ((z & 0xff) << 1);
        p = last64;
        w.First += (ulong)((len - 1) & 63);
        v.First += w.First;
        w.First += v.First;
        x = BitOperations.RotateRight(x + y + v.First + Fetch64(s, p + 8), 37) * mul;
        y = BitOperations.RotateRight(y + v.Second + Fetch64(s, p + 48), 42) * mul;
        x ^= w.Second * 9;
        y += (v.First * 9) + Fetch64(s, p + 40);
        z = BitOperations.RotateRight(z + w.First, 33) * mul;
        v = WeakHashLen32WithSeeds(s, p, v.Second * mul, x + w.First);
        w = WeakHashLen32WithSeeds(s, p + 32, z + w.Second, y + Fetch64(s, p + 16));
        (z, x) = (x, z);
        return HashLen16(HashLen16(v.First, w.First, mul) + (ShiftMix(y) * K0) + z, HashLen16(v.Second, w.Second, mul) + x, mul);
    }

    /// <summary>
    /// TensorFlow's <c>FingerprintCat64(fp1, fp2)</c> (tensorflow/core/platform/fingerprint.h): a fingerprint of two
    /// fingerprints, not commutative.
    /// </summary>
    public static ulong FingerprintCat64(ulong fp1, ulong fp2)
    {
        const ulong mul = 0xc6a4a7935bd1e995UL;
        ulong result = fp1 ^ mul;
        result ^= ShiftMix(fp2 * mul) * mul;
        result *= mul;
        result = ShiftMix(result) * mul;
        return ShiftMix(result);
    }

    private static ulong ShiftMix(ulong value) => value ^ (value >> 47);

    private static ulong Fetch64(ReadOnlySpan<byte> s, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(s[offset..]);

    private static uint Fetch32(ReadOnlySpan<byte> s, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(s[offset..]);

    // Murmur-inspired hashing of two words.
    private static ulong HashLen16(ulong u, ulong v, ulong mul)
    {
        ulong a = (u ^ v) * mul;
        a ^= a >> 47;
        ulong b = (v ^ a) * mul;
        b ^= b >> 47;
        return b * mul;
    }

    private static ulong HashLen0To16(ReadOnlySpan<byte> s)
    {
        int len = s.Length;
        if (len >= 8)
        {
            ulong mul = K2 + ((ulong)len * 2);
            ulong a = Fetch64(s, 0) + K2;
            ulong b = Fetch64(s, len - 8);
            ulong c = (BitOperations.RotateRight(b, 37) * mul) + a;
            ulong d = (BitOperations.RotateRight(a, 25) + b) * mul;
            return HashLen16(c, d, mul);
        }

        if (len >= 4)
        {
            ulong mul = K2 + ((ulong)len * 2);
            ulong a = Fetch32(s, 0);
            return HashLen16((ulong)len + (a << 3), Fetch32(s, len - 4), mul);
        }

        if (len > 0)
        {
            // In farmhash, y and z are 32-bit and widened before the multiplications.
            uint y = s[0] + ((uint)s[len >> 1] << 8);
            uint z = (uint)len + ((uint)s[len - 1] << 2);
            return ShiftMix((y * K2) ^ (z * K0)) * K2;
        }

        return K2;
    }

    private static ulong HashLen17To32(ReadOnlySpan<byte> s)
    {
        int len = s.Length;
        ulong mul = K2 + ((ulong)len * 2);
        ulong a = Fetch64(s, 0) * K1;
        ulong b = Fetch64(s, 8);
        ulong c = Fetch64(s, len - 8) * mul;
        ulong d = Fetch64(s, len - 16) * K2;
        return HashLen16(BitOperations.RotateRight(a + b, 43) + BitOperations.RotateRight(c, 30) + d, a + BitOperations.RotateRight(b + K2, 18) + c, mul);
    }

    private static ulong HashLen33To64(ReadOnlySpan<byte> s)
    {
        int len = s.Length;
        ulong mul = K2 + ((ulong)len * 2);
        ulong a = Fetch64(s, 0) * K2;
        ulong b = Fetch64(s, 8);
        ulong c = Fetch64(s, len - 8) * mul;
        ulong d = Fetch64(s, len - 16) * K2;
        ulong y = BitOperations.RotateRight(a + b, 43) + BitOperations.RotateRight(c, 30) + d;
        ulong z = HashLen16(y, a + BitOperations.RotateRight(b + K2, 18) + c, mul);
        ulong e = Fetch64(s, 16) * mul;
        ulong f = Fetch64(s, 24);
        ulong g = (y + Fetch64(s, len - 32)) * mul;
        ulong h = (z + Fetch64(s, len - 24)) * mul;
        return HashLen16(BitOperations.RotateRight(e + f, 43) + BitOperations.RotateRight(g, 30) + h, e + BitOperations.RotateRight(f + a, 18) + g, mul);
    }

    // A 16-byte hash of the 32 bytes at s[offset..] and two seeds; quick and dirty.
    private static (ulong First, ulong Second) WeakHashLen32WithSeeds(ReadOnlySpan<byte> s, int offset, ulong a, ulong b)
    {
        ulong w = Fetch64(s, offset), x = Fetch64(s, offset + 8), y = Fetch64(s, offset + 16), z = Fetch64(s, offset + 24);
        a += w;
        b = BitOperations.RotateRight(b + a + z, 21);
        ulong c = a;
        a += x;
        a += y;
        b += BitOperations.RotateRight(a, 44);
        return (a + z, b + c);
    }
}
