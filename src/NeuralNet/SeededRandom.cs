using System.Runtime.CompilerServices;

namespace NeuralNet;

/// <summary>
/// A small, fast pseudo-random generator (xoshiro256**, seeded through SplitMix64) whose stream
/// depends only on the seed: the same on every runtime, framework version and machine, which
/// <see cref="Random"/> does not promise. Every random thing in the library draws from one of these.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private float _spareNormal;
    private bool _hasSpareNormal;

    public SeededRandom(long seed)
    {
        Reseed(seed);
    }

    /// <summary>Restarts the stream from <paramref name="seed"/>, as if newly constructed, without allocating.</summary>
    public void Reseed(long seed)
    {
        _hasSpareNormal = false;
        ulong x = unchecked((ulong)seed);
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Derives an independent seed for a sub-component (a layer, a shuffler) from a parent seed and a stream index.</summary>
    public static long Derive(long seed, long stream)
    {
        ulong x = unchecked((ulong)seed ^ ((ulong)stream * 0x9E3779B97F4A7C15UL));
        return unchecked((long)SplitMix64(ref x));
    }

    /// <summary>The number of values <see cref="GetState"/> writes and <see cref="SetState"/> reads.</summary>
    public const int StateLength = 6;

    /// <summary>Copies the generator's complete state (for checkpoints that resume a random stream exactly).</summary>
    public void GetState(Span<ulong> destination)
    {
        destination[0] = _s0;
        destination[1] = _s1;
        destination[2] = _s2;
        destination[3] = _s3;
        destination[4] = _hasSpareNormal ? 1UL : 0UL;
        destination[5] = BitConverter.SingleToUInt32Bits(_spareNormal);
    }

    /// <summary>Restores a state written by <see cref="GetState"/>; false (state unchanged) when it is not one the generator can be in.</summary>
    public bool SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != StateLength || (state[0] | state[1] | state[2] | state[3]) == 0 || state[4] > 1 || state[5] > uint.MaxValue)
        {
            return false;
        }

        _s0 = state[0];
        _s1 = state[1];
        _s2 = state[2];
        _s3 = state[3];
        _hasSpareNormal = state[4] == 1;
        _spareNormal = BitConverter.UInt32BitsToSingle((uint)state[5]);
        return true;
    }

    public ulong NextUInt64() => Next(ref _s0, ref _s1, ref _s2, ref _s3);

    /// <summary>A float uniformly distributed in [0, 1).</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1UL << 24));

    /// <summary>A double uniformly distributed in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer uniformly distributed in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "Must be positive.");
        }

        // Lemire's multiply-shift with rejection.
        ulong range = (ulong)maxExclusive;
        ulong product = (NextUInt64() >> 32) * range;
        uint low = (uint)product;
        if (low < range)
        {
            uint threshold = (uint)((0x1_0000_0000UL - range) % range);
            while (low < threshold)
            {
                product = (NextUInt64() >> 32) * range;
                low = (uint)product;
            }
        }

        return (int)(product >> 32);
    }

    /// <summary>A standard normal sample (Box-Muller, computed in double precision).</summary>
    public float NextNormal()
    {
        if (_hasSpareNormal)
        {
            _hasSpareNormal = false;
            return _spareNormal;
        }

        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        _spareNormal = (float)(radius * Math.Sin(angle));
        _hasSpareNormal = true;
        return (float)(radius * Math.Cos(angle));
    }

    /// <summary>
    /// Fills a dropout mask: each 64-bit draw gives two 24-bit uniforms u (bits 40..63, then 8..31) and an element is
    /// <paramref name="keep"/> when u &gt;= <paramref name="threshold"/>, else 0. An odd last element uses the top bits of
    /// one more draw. Consumes the same draws as calling <see cref="NextUInt64"/> (length + 1) / 2 times.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FillKeepMask(Span<float> mask, uint threshold, float keep)
    {
        // The state lives in locals (registers) for the loop and the choice is a bit mask rather than a branch:
        // with rate 0.5 a branch would mispredict on half the elements.
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        uint keepBits = BitConverter.SingleToUInt32Bits(keep);
        long limit = threshold;
        int i = 0;
        for (; i + 1 < mask.Length; i += 2)
        {
            ulong bits = Next(ref s0, ref s1, ref s2, ref s3);
            mask[i] = BitConverter.UInt32BitsToSingle(keepBits & KeepWhenAtLeast((long)(bits >> 40), limit));
            mask[i + 1] = BitConverter.UInt32BitsToSingle(keepBits & KeepWhenAtLeast((long)((bits >> 8) & 0xFFFFFF), limit));
        }

        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
        if (i < mask.Length)
        {
            mask[i] = BitConverter.UInt32BitsToSingle(keepBits & KeepWhenAtLeast((long)(NextUInt64() >> 40), limit));
        }
    }

    /// <summary>Shuffles <paramref name="values"/> in place (Fisher-Yates).</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    // One xoshiro256** step on a state held by the caller (fields, or locals that stay in registers in a loop).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Next(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        ulong result = RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 45);
        return result;
    }

    // All ones when u >= limit, else zero (u and limit are below 2^25, so the difference cannot overflow).
    private static uint KeepWhenAtLeast(long u, long limit) => (uint)~((u - limit) >> 63);

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
