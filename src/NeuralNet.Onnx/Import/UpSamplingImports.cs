using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Gather of a computed rank-4 tensor along its height or width by constant indices that take each row (column) k times
/// in order, floor(o / k): UpSampling2D's nearest interpolation as ExportOnnx writes it, imported as UpSampling2D.
/// Any other Gather of a computed tensor is refused (see <see cref="ShapeFolding"/>); Gathers of constants and shapes fold.
/// </summary>
internal static class UpSamplingImports
{
    public static void Register(Dictionary<string, OpConverter> all) => all["Gather"] = Gather;

    private static void Gather(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "axis");
        ImportedValue data = graph.Known(node, 0);
        if (data.Folded is not null || data.Rank != 4 || graph.Optional(node, 1) is not { Constant: OnnxConstant indices })
        {
            ShapeFolding.RefuseComputed(node, graph);
            return;
        }

        long axisValue = attributes.Int("axis", 0);
        int? axis = ImportLayout.SampleAxis(axisValue, 4);
        int kerasAxis = axis is int a ? ImportLayout.Axis(a, 4, data.IsImage) : 0;
        long length = axis is int sampleAxis ? data.Dims[sampleAxis] : 0;
        long[] taken = [.. indices.Values.Select(v => (long)v).Select(i => i < 0 ? i + length : i)];
        long size = length > 0 ? taken.Length / length : 0;
        bool repeats = kerasAxis is 1 or 2 && indices.Dims.Length == 1 && size >= 1 && size <= int.MaxValue && taken.Length == size * length
            && taken.Select((i, o) => i == o / size).All(b => b);
        if (!repeats)
        {
            string where = data.IsImage ? "the height or width (axis 2 or 3) of an (N, C, H, W) image" : "axis 1 or 2 of a rank-4 tensor held as it is";
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"indices of dims {ImportText.List(indices.Dims)} along axis {axisValue} of '{data.Name}' {ImportText.Dims(data.Dims)} are not each index repeated k times in order; NeuralNet.Onnx imports Gather of a computed tensor only as UpSampling2D's nearest repeat (indices floor(o / k) along {where})"));
        }

        long[] dims = [.. data.Dims];
        dims[axis!.Value] = taken.Length;
        (int Height, int Width) factor = kerasAxis == 1 ? ((int)size, 1) : (1, (int)size);
        graph.Define(node, dims, b => new UpSampling2D(factor).Call(b[data]), data.IsImage);
    }
}
