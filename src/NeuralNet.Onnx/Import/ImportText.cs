using System.Globalization;

namespace NeuralNet.Onnx.Import;

/// <summary>How the importer writes shapes and lists in its messages.</summary>
internal static class ImportText
{
    /// <summary>[N, 3, 32, 32]: the batch axis (−1) as N.</summary>
    public static string Dims(IEnumerable<long> dims) =>
        "[" + string.Join(", ", dims.Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>[1, 2, 3] for a list of attribute values.</summary>
    public static string List(IEnumerable<long> values) =>
        "[" + string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]";
}
