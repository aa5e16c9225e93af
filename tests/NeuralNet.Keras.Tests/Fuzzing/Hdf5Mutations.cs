using System.Buffers.Binary;
using System.Text;

namespace NeuralNet.Keras.Tests.Fuzzing;

/// <summary>
/// Seeded damage to an HDF5 file in place, its length and every offset kept: the text of an attribute (a Keras 2
/// <c>model_config</c>), a name wherever it is stored (attributes such as <c>layer_names</c> and <c>weight_names</c>,
/// link names in the groups' heaps), and the dimensions of a dataset's dataspace.
/// </summary>
internal static class Hdf5Mutations
{
    private static readonly ulong[] s_dimensions = [0, 1, 2, 3, 7, 1UL << 31, 1UL << 40, ulong.MaxValue];

    /// <summary>
    /// The file with <paramref name="text"/> (stored once as UTF-8, such as a JSON attribute) damaged by
    /// <see cref="TextMutations.MutateJson"/> and padded with spaces to its length; when no damage fits in that length
    /// after a few tries, or the text is not in the file, bytes are overwritten instead.
    /// </summary>
    public static byte[] MutateText(byte[] file, string text, Random random)
    {
        byte[] original = Encoding.UTF8.GetBytes(text);
        int at = file.AsSpan().IndexOf(original);
        for (int attempt = 0; at >= 0 && attempt < 8; attempt++)
        {
            byte[] mutated = Encoding.UTF8.GetBytes(TextMutations.MutateJson(text, random.Next(TextMutations.JsonKinds), random));
            if (mutated.Length <= original.Length)
            {
                byte[] copy = [.. file];
                copy.AsSpan(at, original.Length).Fill((byte)' ');
                mutated.CopyTo(copy, at);
                return copy;
            }
        }

        return ByteMutations.Overwrite(file, random);
    }

    /// <summary>
    /// One occurrence of one of <paramref name="names"/> in the file changed to another name of the same length (a
    /// character replaced by another letter, a digit, a slash or a zero byte).
    /// </summary>
    public static byte[] MutateName(byte[] file, IReadOnlyList<string> names, Random random)
    {
        string name = names[random.Next(names.Count)];
        byte[] pattern = Encoding.UTF8.GetBytes(name);
        List<int> sites = [];
        for (int from = 0, at; (at = file.AsSpan(from).IndexOf(pattern)) >= 0; from += at + 1)
        {
            sites.Add(from + at);
        }

        if (sites.Count == 0 || pattern.Length == 0)
        {
            return ByteMutations.Overwrite(file, random);
        }

        byte[] copy = [.. file];
        int site = sites[random.Next(sites.Count)];
        copy[site + random.Next(pattern.Length)] = "az1_/:.\0"u8[random.Next(8)];
        return copy;
    }

    /// <summary>
    /// One dimension of one dataspace message (HDF5's version 1 or 2 layout; what h5py and PureHDF write) set to another
    /// value, from 0 to 2^64 - 1; bytes are overwritten instead when the file has no dataspace of rank 1 to 4.
    /// </summary>
    public static byte[] MutateShape(byte[] file, Random random)
    {
        List<(int Offset, int Rank)> sites = DataspaceSites(file);
        if (sites.Count == 0)
        {
            return ByteMutations.Overwrite(file, random);
        }

        byte[] copy = [.. file];
        var (offset, rank) = sites[random.Next(sites.Count)];
        Span<byte> dimension = copy.AsSpan(offset + (8 * random.Next(rank)), 8);
        ulong old = BinaryPrimitives.ReadUInt64LittleEndian(dimension);
        ulong value = random.Next(3) == 0 ? old + 1 : s_dimensions[random.Next(s_dimensions.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(dimension, value);
        return copy;
    }

    /// <summary>Where the dimensions of dataspace messages start (8 bytes each) and how many there are.</summary>
    public static List<(int Offset, int Rank)> DataspaceSites(byte[] file)
    {
        var sites = new List<(int, int)>();
        for (int p = 0; p + 8 < file.Length; p++)
        {
            int rank = file[p + 1];
            if (rank is < 1 or > 4 || file[p + 2] > 1)
            {
                continue;
            }

            // Version 1: version, rank, flags, 5 reserved zero bytes. Version 2: version, rank, flags, type 1 (simple).
            int start = file[p] switch
            {
                1 when file.AsSpan(p + 3, 5).IndexOfAnyExcept((byte)0) < 0 => p + 8,
                2 when file[p + 3] == 1 => p + 4,
                _ => -1,
            };
            if (start >= 0 && start + (8 * rank) <= file.Length && Enumerable.Range(0, rank).All(d => Plausible(file, start + (8 * d))))
            {
                sites.Add((start, rank));
            }
        }

        return sites;
    }

    private static bool Plausible(byte[] file, int at)
    {
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(at, 8));
        return value is >= 1 and <= 1 << 20;
    }
}
