using FsCheck;
using FsCheck.Xunit;
using NeuralNet.Serialization;

namespace NeuralNet.Tests.Serialization;

public class SafeTensorsProperties
{
    private const string Seed = "20261123,909";

    [Property(Replay = Seed, MaxTest = 150)]
    public bool WriteThenRead_AnyTensorsAndFloatBits_RoundTripExactly(int[][] rawShapes, int[] bits, NonEmptyString key, string? value)
    {
        // Tensors of rank 0 to 4 (dimensions 1 to 6) filled with arbitrary float bit patterns, NaN payloads included.
        var tensors = new List<KeyValuePair<string, Tensor>>();
        int next = 0;
        for (int i = 0; i < Math.Min(rawShapes.Length, 6); i++)
        {
            int[] dims = rawShapes[i].Take(4).Select(d => 1 + (Math.Abs(d % 6))).ToArray();
            var tensor = new Tensor(new TensorShape(dims));
            var span = tensor.AsSpan();
            for (int j = 0; j < span.Length; j++, next++)
            {
                span[j] = BitConverter.Int32BitsToSingle(bits.Length == 0 ? next : bits[next % bits.Length] ^ next);
            }

            tensors.Add(new($"t{i}/{string.Join("x", dims)}", tensor));
        }

        var metadata = new Dictionary<string, string> { [key.Get == "__metadata__" ? "k" : key.Get] = value ?? string.Empty };
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        byte[] bytes = stream.ToArray();

        var strict = StrictSafeTensorsReader.Parse(bytes);
        var read = SafeTensorsTestFiles.Read(bytes);
        return strict.Tensors.Count == tensors.Count
            && read.Names.SequenceEqual(tensors.Select(t => t.Key))
            && tensors.All(t => read[t.Key].Shape == t.Value.Shape
                && read[t.Key].ToArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(t.Value.ToArray().Select(BitConverter.SingleToInt32Bits)))
            && read.Metadata.SequenceEqual(metadata);
    }
}
