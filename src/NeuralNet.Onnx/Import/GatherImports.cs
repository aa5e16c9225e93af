using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// GatherElements by per-sample indices, imported as <see cref="TakeAlongAxis"/>: ONNX's GatherElements reads position by
/// position, so along a sample axis it reads each sample in its own data, as the layer does. Its indices must be integers,
/// and NeuralNet's tensors hold floats: a Cast of a float tensor to int64 or int32 (and a Mod of that by the gathered
/// axis' length, as ExportOnnx writes TakeAlongAxis: negative indices wrapped, which the layer does itself) is kept as the
/// float tensor, with no layer, and is read only by the GatherElements. Anything else is refused naming the node and why:
/// the batch axis (the layer gathers within samples), constant indices (no batch axis of their own: ONNX would read the
/// first samples' positions), dimensions that differ off the axis (ONNX reads a corner of the data where the layer would
/// broadcast), a Cast or Mod read by another operator. ONNX's Gather indexes the whole tensor (by computed indices, across
/// the batch), so it is left to <see cref="UpSamplingImports"/>.
/// </summary>
internal static class GatherImports
{
    private const string Imported = "NeuralNet.Onnx imports GatherElements as TakeAlongAxis: along a sample axis, by per-sample indices the graph computes (a Cast of a float tensor to int64 or int32, optionally Mod the axis' length, as ExportOnnx writes TakeAlongAxis), of the data's dimensions on every other axis";

    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["Cast"] = Cast;
        all["Mod"] = Mod;
        all["GatherElements"] = GatherElements;
    }

    // A Cast of a computed float tensor to integers, read only by GatherElements (or a Mod read only by them): the float tensor.
    private static void Cast(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "to", "saturate");
        ImportedValue x = graph.Known(node, 0);
        string name = node.Proto.Output.Count > 0 ? node.Proto.Output[0] : string.Empty;
        if (x.Folded is not null || x.IntegersOf is not null || attributes.Int("to", 0) is not (OnnxConstant.Int64 or OnnxConstant.Int32)
            || !graph.ReadOnlyBy(name, "GatherElements", "Mod"))
        {
            ShapeFolding.RefuseComputed(node, graph);
            return;
        }

        graph.RequireOutputs(node);
        graph.Add(ImportedValue.Computed(name, x.Dims, x.IsImage).Indexing(x, modulo: null), node);
    }

    // Mod of such indices by one constant length, read only by GatherElements: the same indices, wrapped.
    private static void Mod(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "fmod");
        ImportedValue x = graph.Known(node, 0);
        string name = node.Proto.Output.Count > 0 ? node.Proto.Output[0] : string.Empty;
        string imported = "NeuralNet.Onnx imports Mod only in gather indices: a Cast of a float tensor to integers, Mod one positive constant length (fmod 0), read only by GatherElements, as ExportOnnx writes TakeAlongAxis";
        if (x.IntegersOf is not ImportedValue source || x.Modulo is not null)
        {
            throw node.Refuse($"input 0 '{x.Name}' is not a Cast of a float tensor to integers; {imported}");
        }

        OnnxConstant divisor = graph.Constant(node, 1, "the divisor");
        if (attributes.Int("fmod", 0) != 0 || divisor.Values.Length != 1 || !divisor.IsInteger || divisor.Values[0] < 1)
        {
            throw node.Refuse($"input 1 (the divisor) '{node.Proto.Input[1]}' is not one positive integer with fmod 0; {imported}");
        }

        if (!graph.ReadOnlyBy(name, "GatherElements"))
        {
            throw node.Refuse($"its output '{name}' is read by another operator than GatherElements; {imported}");
        }

        graph.RequireOutputs(node);
        graph.Add(ImportedValue.Computed(name, x.Dims, x.IsImage).Indexing(source, (long)divisor.Values[0]), node);
    }

    private static void GatherElements(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "axis");
        ImportedValue data = graph.Computed(node, 0, "the data");
        ImportedValue indices = graph.Optional(node, 1) ?? throw node.Invalid("input 1 (indices) is missing");
        if (data.IntegersOf is not null)
        {
            throw node.Refuse($"input 0 (the data) '{data.Name}' is a Cast to integers; NeuralNet's tensors hold floats, so {Imported}");
        }

        if (indices.Constant is not null)
        {
            throw node.Refuse($"input 1 (indices) '{indices.Name}' is a constant, which has no batch axis of its own (ONNX would read the same positions of the first samples only); {Imported}");
        }

        if (indices.IntegersOf is not ImportedValue source)
        {
            throw node.Refuse($"input 1 (indices) '{indices.Name}' is not a Cast of a float tensor to integers; {Imported}");
        }

        int rank = data.Rank;
        if (indices.Rank != rank)
        {
            throw node.Invalid($"input 1 (indices) '{indices.Name}' {ImportText.Dims(indices.Dims)} and input 0 (the data) '{data.Name}' {ImportText.Dims(data.Dims)} differ in rank (GatherElements takes them of the same rank)");
        }

        long axisValue = attributes.Int("axis", 0);
        if (axisValue < -rank || axisValue >= rank)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"attribute axis={axisValue} is outside [{-rank}, {rank - 1}], the axes of '{data.Name}' {ImportText.Dims(data.Dims)}"));
        }

        if (ImportLayout.SampleAxis(axisValue, rank) is not int axis)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"attribute axis={axisValue} is the batch axis, along which each output row would read other samples' rows, while TakeAlongAxis reads each sample in its own data; {Imported}"));
        }

        if (data.IsImage != source.IsImage)
        {
            throw node.Refuse($"input 1 (indices) comes from '{source.Name}', held {(source.IsImage ? "channels last" : "in ONNX's order")}, while the data '{data.Name}' is held {(data.IsImage ? "channels last" : "in ONNX's order")}; {Imported}");
        }

        for (int d = 1; d < rank; d++)
        {
            if (d != axis && indices.Dims[d] != data.Dims[d])
            {
                throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                    $"input 1 (indices) '{indices.Name}' {ImportText.Dims(indices.Dims)} and input 0 (the data) '{data.Name}' {ImportText.Dims(data.Dims)} differ on axis {d}, which is not the gathered axis {axis} (ONNX reads a corner of the data there, where TakeAlongAxis would broadcast); {Imported}"));
            }
        }

        if (indices.Modulo is long modulo && modulo != data.Dims[axis])
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"input 1 (indices) '{indices.Name}' is taken Mod {modulo}, not Mod {data.Dims[axis]}, the length of axis {axis}; {Imported}"));
        }

        int kerasAxis = ImportLayout.Axis(axis, rank, data.IsImage);
        graph.Define(node, [.. indices.Dims], b => new TakeAlongAxis(kerasAxis).Call(b[data], b[source]), data.IsImage);
    }
}
