namespace NeuralNet.Data;

/// <summary>
/// The part of numpy's legacy <c>np.random.RandomState(seed)</c> Keras uses to shuffle a folder's files: the MT19937
/// generator seeded with a 32-bit integer (<c>init_genrand</c>) and <c>shuffle</c> (Fisher-Yates from the end, each
/// index drawn by masked rejection, numpy's <c>random_interval</c>). The same seed therefore puts the files in the same
/// order as Keras, so a training / validation split matches Keras' file for file.
/// </summary>
internal sealed class NumpyRandomState
{
    private const int StateLength = 624;
    private const int Shift = 397;
    private readonly uint[] _state = new uint[StateLength];
    private int _position;

    /// <param name="seed">In [0, 2^32 - 1], as numpy accepts.</param>
    public NumpyRandomState(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < StateLength; i++)
        {
            uint previous = _state[i - 1];
            _state[i] = unchecked((1812433253u * (previous ^ (previous >> 30))) + (uint)i);
        }

        _position = StateLength;
    }

    /// <summary>The next 32-bit output of MT19937 (numpy's <c>mt19937_next32</c>).</summary>
    public uint NextUInt32()
    {
        if (_position == StateLength)
        {
            Generate();
        }

        uint y = _state[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>A uniform integer in [0, <paramref name="max"/>]: numpy's <c>random_interval</c> for 32-bit bounds.</summary>
    public uint Interval(uint max)
    {
        if (max == 0)
        {
            return 0;
        }

        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max)
        {
        }

        return value;
    }

    /// <summary>Shuffles in place as <c>RandomState.shuffle</c> does.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)Interval((uint)i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private void Generate()
    {
        const uint upper = 0x80000000u;
        const uint lower = 0x7fffffffu;
        const uint matrix = 0x9908b0dfu;
        int k;
        uint y;
        for (k = 0; k < StateLength - Shift; k++)
        {
            y = (_state[k] & upper) | (_state[k + 1] & lower);
            _state[k] = _state[k + Shift] ^ (y >> 1) ^ ((y & 1) * matrix);
        }

        for (; k < StateLength - 1; k++)
        {
            y = (_state[k] & upper) | (_state[k + 1] & lower);
            _state[k] = _state[k + Shift - StateLength] ^ (y >> 1) ^ ((y & 1) * matrix);
        }

        y = (_state[StateLength - 1] & upper) | (_state[0] & lower);
        _state[StateLength - 1] = _state[Shift - 1] ^ (y >> 1) ^ ((y & 1) * matrix);
        _position = 0;
    }
}
