using System.Buffers.Binary;
using System.Text;
using NeuralNet.Serialization;

namespace NeuralNet.Tests.Serialization;

/// <summary>Builders of valid and hand-made safetensors bytes for the tests.</summary>
internal static class SafeTensorsTestFiles
{
    /// <summary>A file with a given JSON header and data buffer; the header size prefix is the header's length unless given.</summary>
    public static byte[] Raw(string headerJson, byte[] buffer, ulong? declaredHeaderSize = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        return Raw(header, buffer, declaredHeaderSize);
    }

    public static byte[] Raw(byte[] header, byte[] buffer, ulong? declaredHeaderSize = null)
    {
        var file = new byte[8 + header.Length + buffer.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredHeaderSize ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        buffer.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>Little-endian float32 bytes.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    /// <summary>A few seeded tensors of assorted ranks, as a model would have, with metadata.</summary>
    public static (List<KeyValuePair<string, Tensor>> Tensors, Dictionary<string, string> Metadata) Sample(long seed)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("dense/kernel", Tensor.RandomNormal(new TensorShape(7, 5), SeededRandom.Derive(seed, 1))),
            new("dense/bias", Tensor.RandomNormal(new TensorShape(5), SeededRandom.Derive(seed, 2))),
            new("conv2d/kernel", Tensor.RandomNormal(new TensorShape(3, 3, 1, 2), SeededRandom.Derive(seed, 3))),
            new("scalar", Tensor.FromArray([float.NaN])),
            new("extremes", Tensor.FromArray([float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue], 5)),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "np", ["note"] = "naïve \"quoted\" \u2603" };
        return (tensors, metadata);
    }

    public static byte[] SampleBytes(long seed)
    {
        var (tensors, metadata) = Sample(seed);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    public static SafeTensorsFile Read(byte[] file, string source = "test.safetensors") => SafeTensors.Read(new MemoryStream(file, writable: false), source);

    /// <summary>Replaces one randomly chosen maximal run of characters matching <paramref name="isPart"/> (a number, a name) with <paramref name="replacement"/>.</summary>
    public static string ReplaceRandomRun(string json, SeededRandom random, Func<char, bool> isPart, string replacement)
    {
        var runs = new List<(int Start, int Length)>();
        for (int i = 0; i < json.Length;)
        {
            if (!isPart(json[i]))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < json.Length && isPart(json[i]))
            {
                i++;
            }

            runs.Add((start, i - start));
        }

        if (runs.Count == 0)
        {
            return json;
        }

        var (s, l) = runs[random.NextInt(runs.Count)];
        return string.Concat(json.AsSpan(0, s), replacement, json.AsSpan(s + l));
    }
}
