using System.Globalization;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Shape arithmetic evaluated at import. PyTorch writes <c>x.view(x.size(0), -1)</c> as Shape, Gather, Unsqueeze, Concat
/// and Reshape; every length but the batch's is static, so those nodes fold into constants whose batch-length elements
/// are marked (<see cref="OnnxConstant.Batch"/>). The batch length may reach a Reshape's first entry and nothing else:
/// arithmetic on it, or any other reader, is refused naming the node.
/// </summary>
internal static class ShapeFolding
{
    private delegate OnnxConstant Fold(ImportedNode node, OnnxConstant?[] inputs);

    // The operators that fold when every input is known at import; Add, Sub, Mul, Div, Reshape, Transpose, Squeeze and
    // Unsqueeze also have layer forms.
    private static readonly Dictionary<string, Fold> Folds = new(StringComparer.Ordinal)
    {
        ["Gather"] = Gather,
        ["Unsqueeze"] = Unsqueeze,
        ["Squeeze"] = Squeeze,
        ["Concat"] = Concat,
        ["Cast"] = Cast,
        ["Slice"] = Slice,
        ["ConstantOfShape"] = ConstantOfShape,
        ["Identity"] = Identity,
        ["Reshape"] = Reshape,
        ["Transpose"] = Transpose,
        ["Add"] = (node, inputs) => Arithmetic(node, inputs, (a, b) => a + b),
        ["Sub"] = (node, inputs) => Arithmetic(node, inputs, (a, b) => a - b),
        ["Mul"] = (node, inputs) => Arithmetic(node, inputs, (a, b) => a * b),
        ["Div"] = Div,
    };

    /// <summary>Operators that have no layer form: a computed input is refused by name.</summary>
    public static void Register(Dictionary<string, OpConverter> all)
    {
        // Gather of a computed tensor is UpSamplingImports' (UpSampling2D's nearest repeat, or refused there).
        foreach (string op in new[] { "Shape", "Cast", "Slice", "ConstantOfShape" })
        {
            all[op] = RefuseComputed;
        }
    }

    /// <summary>Folds <paramref name="node"/> when it is Shape, or an operator of <see cref="Folds"/> whose inputs are all known; false otherwise.</summary>
    public static bool TryFold(ImportedNode node, ImportGraph graph)
    {
        OnnxConstant? result;
        if (node.OpType == "Shape")
        {
            result = Shape(node, graph);
        }
        else if (Folds.TryGetValue(node.OpType, out Fold? fold))
        {
            var inputs = new OnnxConstant?[node.Proto.Input.Count];
            for (int i = 0; i < inputs.Length; i++)
            {
                if (node.Proto.Input[i].Length == 0)
                {
                    continue;
                }

                inputs[i] = graph.Known(node, i).Folded;
                if (inputs[i] is null)
                {
                    return false;
                }
            }

            result = fold(node, inputs);
        }
        else
        {
            return false;
        }

        graph.RequireOutputs(node);
        graph.Add(ImportedValue.FromConstant(node.Proto.Output[0], result), node);
        return true;
    }

    /// <summary>Refuses <paramref name="node"/> for its first input the graph computes: the operator has no layer form there.</summary>
    internal static void RefuseComputed(ImportedNode node, ImportGraph graph)
    {
        int computed = Enumerable.Range(0, node.Proto.Input.Count).First(i => node.Proto.Input[i].Length > 0 && graph.Known(node, i).Folded is null);
        throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
            $"input {computed} '{node.Proto.Input[computed]}' is a tensor the graph computes; NeuralNet.Onnx evaluates {node.OpType} at import, on constants and on the static shapes of tensors (shape arithmetic), and has no layer for it"));
    }

    // The ONNX dims of any value: the batch axis of a computed tensor is marked, the rest is static.
    private static OnnxConstant Shape(ImportedNode node, ImportGraph graph)
    {
        var attributes = Attributes(node, "start", "end");
        ImportedValue x = graph.Known(node, 0);
        long[] dims = x.Dims;
        bool[] batch = [.. dims.Select((_, i) => x.Folded is null && i == 0)];
        long start = Clamp(attributes.Int("start", 0), dims.Length), end = Clamp(attributes.Int("end", dims.Length), dims.Length);
        long[] kept = [.. Range(start, end, 1)];
        var all = new OnnxConstant([dims.Length], [.. dims.Select(d => d < 0 ? 0.0 : d)], OnnxConstant.Int64, batch);
        return FoldedTensors.Take(all, 0, kept);
    }

    private static OnnxConstant Identity(ImportedNode node, OnnxConstant?[] inputs)
    {
        _ = Attributes(node);
        return Required(node, inputs, 0);
    }

    private static OnnxConstant Gather(ImportedNode node, OnnxConstant?[] inputs)
    {
        var attributes = Attributes(node, "axis");
        // An index that is the batch length would be read as the 0 that stands for it: refused, not taken.
        OnnxConstant data = Required(node, inputs, 0), indices = NoBatch(node, Integers(node, Required(node, inputs, 1), "indices"), 1);
        int axis = Axis(node, attributes.Int("axis", 0), data.Dims.Length);
        long length = data.Dims[axis];
        long[] positions = [.. indices.Values.Select(v => (long)v).Select(i => i < 0 ? i + length : i)];
        if (positions.Any(i => i < 0 || i >= length))
        {
            throw node.Invalid($"indices {ImportText.List([.. indices.Values.Select(v => (long)v)])} fall outside axis {axis} of data {data.Shape}");
        }

        OnnxConstant taken = FoldedTensors.Take(data, axis, positions);
        return FoldedTensors.WithDims(taken, [.. data.Dims[..axis], .. indices.Dims, .. data.Dims[(axis + 1)..]]);
    }

    // Opsets 13 and later give the axes as input 1; older ones as an attribute.
    private static long[]? AxesOf(ImportedNode node, OnnxConstant?[] inputs)
    {
        long[]? attribute = Attributes(node, "axes").Ints("axes");
        return attribute ?? (inputs.Length > 1 && inputs[1] is OnnxConstant axes ? [.. NoBatch(node, Integers(node, axes, "axes"), 1).Values.Select(v => (long)v)] : null);
    }

    private static OnnxConstant Unsqueeze(ImportedNode node, OnnxConstant?[] inputs)
    {
        OnnxConstant data = Required(node, inputs, 0);
        long[] axes = AxesOf(node, inputs) ?? throw node.Invalid("it gives no axes");
        int rank = data.Dims.Length + axes.Length;
        int[] resolved = [.. axes.Select(a => Axis(node, a, rank)).Order()];
        if (resolved.Distinct().Count() != resolved.Length)
        {
            throw node.Invalid($"axes {ImportText.List(axes)} repeat an axis");
        }

        var dims = new List<long>(data.Dims);
        foreach (int a in resolved)
        {
            dims.Insert(a, 1);
        }

        return FoldedTensors.WithDims(data, [.. dims]);
    }

    private static OnnxConstant Squeeze(ImportedNode node, OnnxConstant?[] inputs)
    {
        OnnxConstant data = Required(node, inputs, 0);
        int[] axes = AxesOf(node, inputs) is long[] given
            ? [.. given.Select(a => Axis(node, a, data.Dims.Length))]
            : [.. Enumerable.Range(0, data.Dims.Length).Where(a => data.Dims[a] == 1)];
        if (axes.Any(a => data.Dims[a] != 1))
        {
            throw node.Invalid($"it squeezes an axis of {data.Shape} whose length is not 1");
        }

        return FoldedTensors.WithDims(data, [.. data.Dims.Where((_, a) => !axes.Contains(a))]);
    }

    private static OnnxConstant Concat(ImportedNode node, OnnxConstant?[] inputs)
    {
        var attributes = Attributes(node, "axis");
        OnnxConstant[] parts = [.. inputs.Select((c, i) => c ?? throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"input {i} is empty")))];
        if (parts.Length == 0 || !attributes.Has("axis"))
        {
            throw node.Invalid("it has no inputs or no axis");
        }

        int axis = Axis(node, attributes.Int("axis", 0), parts[0].Dims.Length);
        if (parts.Any(p => p.Dims.Length != parts[0].Dims.Length || p.ElementType != parts[0].ElementType
            || Enumerable.Range(0, p.Dims.Length).Any(a => a != axis && p.Dims[a] != parts[0].Dims[a])))
        {
            throw node.Invalid($"inputs {string.Join(", ", parts.Select(p => p.Shape))} differ in element type or on an axis other than {axis}");
        }

        return FoldedTensors.Join(parts, axis);
    }

    private static OnnxConstant Cast(ImportedNode node, OnnxConstant?[] inputs)
    {
        var attributes = Attributes(node, "to", "saturate");
        OnnxConstant data = Required(node, inputs, 0);
        long to = attributes.Int("to", 0);
        Func<double, double> convert = to switch
        {
            OnnxConstant.Float => v => (float)v,
            OnnxConstant.Double => v => v,
            // ONNX Runtime casts floats to integers by truncation, as C does.
            OnnxConstant.Int32 or OnnxConstant.Int64 => Math.Truncate,
            _ => throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"attribute to={to} ({OnnxConstant.TypeName((int)to)}); NeuralNet.Onnx folds casts to float, double, int32 and int64")),
        };
        return new OnnxConstant(data.Dims, [.. data.Values.Select(convert)], (int)to, data.Batch);
    }

    private static OnnxConstant Slice(ImportedNode node, OnnxConstant?[] inputs)
    {
        _ = Attributes(node);
        OnnxConstant data = Required(node, inputs, 0);
        long[] starts = Longs(node, inputs, 1, "starts"), ends = Longs(node, inputs, 2, "ends");
        long[] axes = inputs.Length > 3 && inputs[3] is not null ? Longs(node, inputs, 3, "axes") : [.. Enumerable.Range(0, starts.Length).Select(a => (long)a)];
        long[] steps = inputs.Length > 4 && inputs[4] is not null ? Longs(node, inputs, 4, "steps") : [.. starts.Select(_ => 1L)];
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length || steps.Contains(0))
        {
            throw node.Invalid($"starts {ImportText.List(starts)}, ends {ImportText.List(ends)}, axes {ImportText.List(axes)} and steps {ImportText.List(steps)} differ in length or hold a step of 0");
        }

        OnnxConstant result = data;
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = Axis(node, axes[i], data.Dims.Length);
            long length = data.Dims[axis], step = steps[i];
            long start = starts[i] < 0 ? starts[i] + length : starts[i], end = ends[i] < 0 ? ends[i] + length : ends[i];
            // ONNX clamps starts and ends into the axis: [0, length] going forward, [-1, length - 1] going back.
            (start, end) = step > 0 ? (Math.Clamp(start, 0, length), Math.Clamp(end, 0, length)) : (Math.Clamp(start, 0, length - 1), Math.Clamp(end, -1, length - 1));
            result = FoldedTensors.Take(result, axis, [.. Range(start, end, step)]);
        }

        return result;
    }

    private const long MaxFoldedElements = 1 << 24;

    private static OnnxConstant ConstantOfShape(ImportedNode node, OnnxConstant?[] inputs)
    {
        var attributes = Attributes(node, "value");
        OnnxConstant shape = Integers(node, Required(node, inputs, 0), "input");
        if (shape.DependsOnBatch)
        {
            throw node.Refuse("its shape holds the batch length (computed from a Shape); a tensor as long as the batch has no constant form");
        }

        long[] dims = [.. shape.Values.Select(v => (long)v)];
        if (shape.Dims.Length != 1 || dims.Any(d => d < 0) || ImportSizes.Product(dims) is not long count)
        {
            throw node.Invalid($"input {ImportText.List(dims)} is not a shape of at most 2147483647 elements");
        }

        // Folded values are held as doubles: a hostile or damaged file could otherwise ask for gigabytes here.
        if (count > MaxFoldedElements)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"it makes a constant of {count} elements ({ImportText.List(dims)}); NeuralNet.Onnx folds constants of at most {MaxFoldedElements} elements at import"));
        }

        OnnxConstant fill = attributes.Tensor("value") is { } tensor ? OnnxConstant.Read(tensor, $"{node.Description}'s value") : new OnnxConstant([1], [0.0]);
        if (fill.Values.Length != 1)
        {
            throw node.Invalid($"attribute value has dimensions {fill.Shape}; it holds one element");
        }

        return new OnnxConstant(dims, [.. Enumerable.Repeat(fill.Values[0], (int)ImportSizes.Product(dims)!.Value)], fill.ElementType);
    }

    // A weight stored transposed (a MatMul's B written as Transpose of an initializer) becomes the constant it reads.
    private static OnnxConstant Transpose(ImportedNode node, OnnxConstant?[] inputs)
    {
        long[]? perm = Attributes(node, "perm").Ints("perm");
        OnnxConstant data = Required(node, inputs, 0);
        int rank = data.Dims.Length;
        perm ??= [.. Enumerable.Range(0, rank).Reverse().Select(i => (long)i)];
        if (perm.Length != rank || !perm.Order().SequenceEqual(Enumerable.Range(0, rank).Select(i => (long)i)))
        {
            throw node.Invalid($"perm={ImportText.List(perm)} is not a permutation of the {rank} axes of {data.Shape}");
        }

        return FoldedTensors.Transpose(data, [.. perm.Select(p => (int)p)]);
    }

    private static OnnxConstant Reshape(ImportedNode node, OnnxConstant?[] inputs)
    {
        bool allowZero = Attributes(node, "allowzero").Int("allowzero", 0) != 0;
        OnnxConstant data = Required(node, inputs, 0);
        OnnxConstant shape = NoBatch(node, Integers(node, Required(node, inputs, 1), "shape"), 1);
        long[] dims = [.. shape.Values.Select((v, i) => v == 0 && !allowZero && i < data.Dims.Length ? data.Dims[i] : (long)v)];
        long count = data.Values.Length, known = dims.Where(d => d != -1).Aggregate(1L, (p, d) => p * d);
        if (dims.Count(d => d == -1) > 1 || dims.Any(d => d < -1) || (dims.Contains(-1) ? known == 0 || count % known != 0 : known != count))
        {
            throw node.Invalid($"shape {ImportText.List(dims)} does not hold the {count} elements of {data.Shape}");
        }

        return FoldedTensors.WithDims(data, [.. dims.Select(d => d == -1 ? count / known : d)]);
    }

    private static OnnxConstant Div(ImportedNode node, OnnxConstant?[] inputs)
    {
        OnnxConstant b = Required(node, inputs, 1);
        if (b.IsInteger && b.Values.Contains(0))
        {
            throw node.Invalid("it divides integers by 0");
        }

        // ONNX Runtime divides integers as C does: the quotient truncated toward zero.
        return b.IsInteger ? Arithmetic(node, inputs, (x, y) => Math.Truncate(x / y)) : Arithmetic(node, inputs, (x, y) => x / y);
    }

    private static OnnxConstant Arithmetic(ImportedNode node, OnnxConstant?[] inputs, Func<double, double, double> f)
    {
        _ = Attributes(node);
        OnnxConstant a = NoBatch(node, Required(node, inputs, 0), 0), b = NoBatch(node, Required(node, inputs, 1), 1);
        if (a.ElementType != b.ElementType)
        {
            throw node.Invalid($"inputs of element types {OnnxConstant.TypeName(a.ElementType)} and {OnnxConstant.TypeName(b.ElementType)} differ");
        }

        return FoldedTensors.Broadcast(a, b, f) ?? throw node.Invalid($"inputs of dimensions {a.Shape} and {b.Shape} do not broadcast");
    }

    private static OnnxConstant NoBatch(ImportedNode node, OnnxConstant c, int index) => !c.DependsOnBatch ? c : throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
        $"input {index} '{node.Proto.Input[index]}' holds the batch length (computed from a Shape), which is known only at run time; NeuralNet.Onnx takes the batch length only as the first entry of a Reshape's shape"));

    private static NodeAttributes Attributes(ImportedNode node, params string[] known) => new(node, known);

    private static OnnxConstant Required(ImportedNode node, OnnxConstant?[] inputs, int index) =>
        index < inputs.Length && inputs[index] is OnnxConstant c ? c : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"input {index} is missing"));

    private static OnnxConstant Integers(ImportedNode node, OnnxConstant c, string what) =>
        c.IsInteger ? c : throw node.Invalid($"{what} has element type {OnnxConstant.TypeName(c.ElementType)}, expected int32 or int64");

    private static long[] Longs(ImportedNode node, OnnxConstant?[] inputs, int index, string what) =>
        [.. NoBatch(node, Integers(node, Required(node, inputs, index), what), index).Values.Select(ToLong)];

    // int64 limits (PyTorch writes ends of 9223372036854775807) do not survive double exactly: saturate.
    private static long ToLong(double v) => v >= long.MaxValue ? long.MaxValue : v <= long.MinValue ? long.MinValue : (long)v;

    private static long Clamp(long index, int rank) => Math.Clamp(index < 0 ? index + rank : index, 0, rank);

    private static IEnumerable<long> Range(long start, long end, long step)
    {
        for (long i = start; step > 0 ? i < end : i > end; i += step)
        {
            yield return i;
        }
    }

    private static int Axis(ImportedNode node, long axis, int rank)
    {
        long resolved = axis < 0 ? axis + rank : axis;
        return resolved >= 0 && resolved < rank ? (int)resolved
            : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"axis {axis} is outside a tensor of rank {rank}"));
    }
}
