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
        if (data.Folded is not null || data.Rank != 4 || graph.Optional(node, 1) is not { Constant: OnnxConstant indices } given)
        {
            ShapeFolding.RefuseComputed(node, graph);
            return;
        }

        string name = given.Name;
        if (!indices.IsInteger)
        {
            // ONNX's Gather takes int32 or int64 indices (ShapeFolding's Gather checks the same); floats would be truncated.
            throw node.Invalid($"input 1 (indices) '{name}' has element type {OnnxConstant.TypeName(indices.ElementType)}, expected int32 or int64");
        }

        long axisValue = attributes.Int("axis", 0);
        string where = data.IsImage ? "the height or width (axis 2 or 3) of an (N, C, H, W) image" : "axis 1 or 2 of a rank-4 tensor held as it is";
        string imported = $"NeuralNet.Onnx imports Gather of a computed tensor only as UpSampling2D's nearest repeat (indices floor(o / k) along {where})";
        if (axisValue < -4 || axisValue > 3)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"attribute axis={axisValue} is outside [-4, 3], the axes of '{data.Name}' {ImportText.Dims(data.Dims)}"));
        }

        int? axis = ImportLayout.SampleAxis(axisValue, 4);
        int kerasAxis = axis is int a ? ImportLayout.Axis(a, 4, data.IsImage) : 0;
        if (kerasAxis is not (1 or 2))
        {
            string which = axis is null ? "the batch axis" : data.IsImage ? "the channels axis" : "the last axis";
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"attribute axis={axisValue} of '{data.Name}' {ImportText.Dims(data.Dims)} is {which}, which UpSampling2D does not repeat; {imported}"));
        }

        if (indices.Dims.Length != 1)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"input 1 (indices) '{name}' has dimensions {ImportText.Dims(indices.Dims)}, not 1-D; {imported}"));
        }

        long length = data.Dims[axis!.Value];
        long[] taken = [.. indices.Values.Select(v => (long)v).Select(i => i < 0 ? i + length : i)];
        long size = taken.Length / length;
        if (size < 1 || size > int.MaxValue || taken.Length != size * length)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"input 1 (indices) '{name}' holds {taken.Length} indices along axis {axisValue} of length {length}, not a whole multiple k · {length}; {imported}"));
        }

        for (int o = 0; o < taken.Length; o++)
        {
            if (taken[o] != o / size)
            {
                throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                    $"input 1 (indices) '{name}' takes index {(long)indices.Values[o]} at output {o} along axis {axisValue}, not floor({o} / {size}) = {o / size}; {imported}"));
            }
        }

        long[] dims = [.. data.Dims];
        dims[axis!.Value] = taken.Length;
        (int Height, int Width) factor = kerasAxis == 1 ? ((int)size, 1) : (1, (int)size);
        graph.Define(node, dims, b => new UpSampling2D(factor).Call(b[data]), data.IsImage);
    }
}
