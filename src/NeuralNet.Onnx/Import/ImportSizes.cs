namespace NeuralNet.Onnx.Import;

/// <summary>
/// The checked arithmetic of lengths read from a file: NeuralNet holds lengths, strides, dilations and group counts as
/// <see cref="int"/>, and a tensor (a constant, or one sample of a computed tensor) of at most <see cref="int.MaxValue"/> elements.
/// </summary>
internal static class ImportSizes
{
    /// <summary>The range a length, stride, dilation or group count must lie in, for messages.</summary>
    public const string LengthRange = "[1, 2147483647]";

    /// <summary>Whether <paramref name="value"/> is in [1, <see cref="int.MaxValue"/>].</summary>
    public static bool IsLength(long value) => value is >= 1 and <= int.MaxValue;

    /// <summary>The product of <paramref name="dims"/> (each at least 0), or null when it exceeds <see cref="int.MaxValue"/>.</summary>
    public static long? Product(IEnumerable<long> dims)
    {
        long[] all = [.. dims];
        if (all.Contains(0))
        {
            return 0;
        }

        long product = 1;
        foreach (long d in all)
        {
            if (d > int.MaxValue / product)
            {
                return null;
            }

            product *= d;
        }

        return product;
    }
}
