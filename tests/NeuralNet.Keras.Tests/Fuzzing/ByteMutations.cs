namespace NeuralNet.Keras.Tests.Fuzzing;

/// <summary>Seeded damage to bytes: a zip archive, an HDF5 file, an asset.</summary>
internal static class ByteMutations
{
    /// <summary>Flips, zeroes, drops or truncates a few bytes.</summary>
    public static byte[] Mutate(byte[] bytes, Random random)
    {
        var list = new List<byte>(bytes);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits && list.Count > 0; e++)
        {
            int at = random.Next(list.Count);
            switch (random.Next(4))
            {
                case 0: list[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: list[at] = (byte)random.Next(256); break;
                case 2: list.RemoveAt(at); break;
                default: list.RemoveRange(at, list.Count - at); break;
            }
        }

        return [.. list];
    }

    /// <summary>
    /// Overwrites one to four bytes in place, the file's length kept, so that HDF5's offsets stay where they were and the
    /// damage lands in headers, B-trees, heaps and data rather than cutting the file short.
    /// </summary>
    public static byte[] Overwrite(byte[] bytes, Random random)
    {
        byte[] copy = [.. bytes];
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits && copy.Length > 0; e++)
        {
            int at = random.Next(copy.Length);
            copy[at] = random.Next(2) == 0 ? (byte)(copy[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
        }

        return copy;
    }
}
