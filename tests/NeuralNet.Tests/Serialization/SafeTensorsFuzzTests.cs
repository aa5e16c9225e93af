using System.Buffers.Binary;
using System.Text;
using NeuralNet.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// Seeded fuzzing of the safetensors reader: valid files mutated by bit flips, truncations, byte insertions and
/// deletions, size-prefix edits and header edits (numbers, dtypes, structure). Every case must either load a
/// consistent file or throw <see cref="InvalidDataException"/>, allocating no more than a small multiple of the
/// file's length; anything else (IndexOutOfRange, OutOfMemory,
/// NullReference, Overflow, ...) fails the test with the case's seed so it can be replayed.
/// </summary>
public class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 12_000;

    private static readonly string[] s_numbers =
    [
        "0", "1", "-1", "3", "7", "8", "9", "-0", "1e3", "0.5", "2147483647", "2147483648", "4294967296",
        "9223372036854775807", "9223372036854775808", "18446744073709551615", "99999999999999999999999", "1e308", "null", "\"8\"", "[]",
    ];

    private static readonly string[] s_dtypes = ["F32", "F64", "F16", "BF16", "I64", "U8", "BOOL", "F8_E4M3", "f32", "", "F32\u0000", "\\u0046\\u0033\\u0032"];

    private static readonly string[] s_fragments = ["{", "}", "[", "]", ",", ":", "\"", "\\", "\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", " ", "\u00ff", "\\ud800"];

    [Fact]
    public void Read_MutatedValidFiles_OnlyDocumentedExceptionsOccur()
    {
        const long seed = 20261123;
        byte[][] originals = [SafeTensorsTestFiles.SampleBytes(1), SafeTensorsTestFiles.SampleBytes(2), TwoTensorFile()];
        int accepted = 0, rejected = 0;
        var kinds = new int[MutationKinds];
        for (int i = 0; i < Cases; i++)
        {
            var random = new SeededRandom(SeededRandom.Derive(seed, i));
            byte[] original = originals[random.NextInt(originals.Length)];
            int kind = random.NextInt(kinds.Length);
            kinds[kind]++;
            byte[] mutated = Mutate(original, kind, random);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var file = SafeTensorsTestFiles.Read(mutated, "fuzz.safetensors");
                CheckConsistent(file, mutated.Length);
                accepted++;
            }
            catch (InvalidDataException ex)
            {
                Assert.StartsWith("'fuzz.safetensors': ", ex.Message, StringComparison.Ordinal);
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Case {i} (mutation {kind}) threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
            }

            // Reading may convert 1-byte elements to floats (x4) and keeps small bookkeeping; nothing more.
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= (16L * mutated.Length) + (256 << 10), $"Case {i} (mutation {kind}) allocated {allocated} bytes for a {mutated.Length}-byte file.");
        }

        output.WriteLine($"{Cases} cases: {accepted} accepted, {rejected} rejected; per mutation kind: {string.Join(", ", kinds)}");
        Assert.Equal(Cases, accepted + rejected);
        Assert.All(kinds, k => Assert.True(k > Cases / 16));
        Assert.True(rejected > Cases / 2, $"only {rejected} of {Cases} mutations were rejected");
        Assert.True(accepted > 0, "no mutation survived: the fuzzer only produced garbage");
    }

    private static byte[] TwoTensorFile()
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, [new("a", Tensor.Ones(3)), new("b", Tensor.Filled(2f, 2, 2))]);
        return stream.ToArray();
    }

    private static void CheckConsistent(SafeTensorsFile file, int fileLength)
    {
        long total = 0;
        foreach (string name in file.Names)
        {
            var tensor = file[name];
            Assert.Equal(tensor.Shape.ElementCount, tensor.Length);
            total += tensor.Length;
        }

        Assert.True(total <= fileLength, "more elements loaded than the file has bytes");
    }

    /// <summary>The number of mutation kinds <see cref="Mutate"/> knows.</summary>
    internal const int MutationKinds = 8;

    /// <summary>Applies mutation <paramref name="kind"/> (0 to <see cref="MutationKinds"/> - 1) to a copy of a valid safetensors file.</summary>
    internal static byte[] Mutate(byte[] original, int kind, SeededRandom random)
    {
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        switch (kind)
        {
            case 0: // bit flips anywhere
            {
                byte[] copy = (byte[])original.Clone();
                for (int flips = 1 + random.NextInt(8); flips > 0; flips--)
                {
                    int at = random.NextInt(copy.Length);
                    copy[at] ^= (byte)(1 << random.NextInt(8));
                }

                return copy;
            }

            case 1: // bit flips in the size prefix and header
            {
                byte[] copy = (byte[])original.Clone();
                for (int flips = 1 + random.NextInt(3); flips > 0; flips--)
                {
                    int at = random.NextInt(headerEnd);
                    copy[at] ^= (byte)(1 << random.NextInt(8));
                }

                return copy;
            }

            case 2: // truncation
                return original[..random.NextInt(original.Length)];

            case 3: // the size prefix lies
            {
                byte[] copy = (byte[])original.Clone();
                ulong size = BinaryPrimitives.ReadUInt64LittleEndian(copy);
                ulong lie = random.NextInt(4) switch
                {
                    0 => size + (ulong)random.NextInt(17) - 8,
                    1 => random.NextUInt64(),
                    2 => (ulong)random.NextInt(copy.Length * 2),
                    _ => ulong.MaxValue - (ulong)random.NextInt(16),
                };
                BinaryPrimitives.WriteUInt64LittleEndian(copy, lie);
                return copy;
            }

            case 4: // replace a number in the header
                return EditHeader(original, headerEnd, random, json => SafeTensorsTestFiles.ReplaceRandomRun(json, random, c => char.IsAsciiDigit(c), s_numbers[random.NextInt(s_numbers.Length)]));

            case 5: // replace a dtype
                return EditHeader(original, headerEnd, random, json =>
                {
                    int at = json.IndexOf("\"F32\"", random.NextInt(json.Length), StringComparison.Ordinal);
                    at = at < 0 ? json.IndexOf("\"F32\"", StringComparison.Ordinal) : at;
                    return at < 0 ? json : string.Concat(json.AsSpan(0, at + 1), s_dtypes[random.NextInt(s_dtypes.Length)], json.AsSpan(at + 4));
                });

            case 6: // insert or delete structural fragments in the header
                return EditHeader(original, headerEnd, random, json =>
                {
                    int at = random.NextInt(json.Length);
                    return random.NextInt(2) == 0
                        ? json.Insert(at, s_fragments[random.NextInt(s_fragments.Length)])
                        : json.Remove(at, Math.Min(1 + random.NextInt(4), json.Length - at));
                });

            default: // insert, delete or append random bytes
            {
                var list = new List<byte>(original);
                int at = random.NextInt(list.Count + 1);
                int n = 1 + random.NextInt(16);
                switch (random.NextInt(3))
                {
                    case 0:
                        for (int j = 0; j < n; j++)
                        {
                            list.Insert(at, (byte)random.NextInt(256));
                        }

                        break;
                    case 1:
                        list.RemoveRange(Math.Min(at, list.Count - 1), Math.Min(n, list.Count - Math.Min(at, list.Count - 1)));
                        break;
                    default:
                        for (int j = 0; j < n; j++)
                        {
                            list.Add((byte)random.NextInt(256));
                        }

                        break;
                }

                return [.. list];
            }
        }
    }

    /// <summary>Edits the header text and, three times in four, rewrites the size prefix to match the new header.</summary>
    private static byte[] EditHeader(byte[] original, int headerEnd, SeededRandom random, Func<string, string> edit)
    {
        string json = Encoding.UTF8.GetString(original, 8, headerEnd - 8);
        byte[] header = Encoding.UTF8.GetBytes(edit(json));
        ulong? declared = random.NextInt(4) == 0 ? (ulong)(headerEnd - 8) : null;
        return SafeTensorsTestFiles.Raw(header, original[headerEnd..], declared);
    }
}
