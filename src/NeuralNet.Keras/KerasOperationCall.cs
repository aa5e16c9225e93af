using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// One Keras operation item of a functional config, taken apart: its module, class, config (the op's constructor
/// arguments) and the tensors and constants of its one call, with the checks that refuse what NeuralNet cannot honour.
/// Axes count as Keras counts them, the batch axis being 0.
/// </summary>
internal sealed class KerasOperationCall
{
    private readonly string _where;

    public KerasOperationCall(JsonObject item, string where)
    {
        _where = where;
        Module = KerasConfigItems.Text(item["module"]) ?? string.Empty;
        ClassName = KerasConfigItems.Text(item["class_name"]) ?? "?";
        Name = KerasConfigItems.NameOf(item);
        if (!KerasOperationLayers.Reads(Module, ClassName))
        {
            throw Unknown();
        }

        Config = item["config"] as JsonObject ?? new JsonObject();
        if (item["inbound_nodes"] is not JsonArray { Count: > 0 } nodes || nodes.Any(n => n is not JsonObject))
        {
            throw new NotSupportedException($"{Describe}: the item records no call (inbound_nodes is {item["inbound_nodes"]?.ToJsonString() ?? "absent"}); Keras records one node per call of the operation.");
        }

        foreach (JsonObject node in nodes.Cast<JsonObject>())
        {
            if (node["kwargs"] is JsonObject kwargs && kwargs.Count > 0)
            {
                throw Refused(kwargs.First().Key, "the call passes it by keyword, and NeuralNet reads this operation's calls with their tensors and constants passed positionally (as keras.ops passes them)");
            }

            var arguments = node["args"] as JsonArray ?? new JsonArray();
            var tensors = new List<JsonObject>();
            foreach (JsonNode? argument in arguments)
            {
                if (IsTensor(argument))
                {
                    tensors.Add((JsonObject)argument!);
                }
                else if (argument is JsonArray list && list.All(IsTensor))
                {
                    tensors.AddRange(list.Select(t => (JsonObject)t!));
                }
            }

            Calls.Add((arguments, tensors));
        }

        // A layer computes the same thing at each call: later calls must pass the same constants and tensors of the same shapes.
        for (int c = 1; c < Calls.Count; c++)
        {
            if (!JsonNode.DeepEquals(Skeleton(Calls[c].Arguments), Skeleton(Arguments)))
            {
                throw Refused("args", $"call {c + 1} passes {Calls[c].Arguments.ToJsonString()} where call 1 passes {Arguments.ToJsonString()}; NeuralNet reads an operation called several times with the same constants and tensors of the same shapes");
            }
        }
    }

    public string Module { get; }

    public string ClassName { get; }

    public string Name { get; }

    public JsonObject Config { get; }

    /// <summary>Each call's positional arguments as written, and the symbolic tensors among them (and in a list argument), in order.</summary>
    public List<(JsonArray Arguments, List<JsonObject> Tensors)> Calls { get; } = [];

    /// <summary>The first call's positional arguments as written (the others pass the same constants).</summary>
    public JsonArray Arguments => Calls[0].Arguments;

    /// <summary>The first call's symbolic tensors (the others' have the same shapes).</summary>
    public List<JsonObject> Tensors => Calls[0].Tensors;

    private string Describe => $"{_where}: operation '{Name}' ({Module}.{ClassName})";

    // The arguments with each tensor replaced by its shape: equal for calls that pass the same constants and shapes.
    private static JsonNode? Skeleton(JsonNode? node) => node switch
    {
        _ when IsTensor(node) => new JsonArray([.. Shape((JsonObject)node!).Select(d => (JsonNode?)d)]),
        JsonArray list => new JsonArray([.. list.Select(Skeleton)]),
        _ => node?.DeepClone(),
    };

    public static bool IsTensor(JsonNode? node) => node is JsonObject tensor && KerasConfigItems.IsClass(tensor, "__keras_tensor__");

    /// <summary>The tensor's shape, batch axis included (null for an unknown size).</summary>
    public static int?[] Shape(JsonObject tensor) =>
        [.. (tensor["config"].Key("shape") as JsonArray ?? []).Select(d => d is JsonValue v && v.TryGetValue(out int size) ? size : (int?)null)];

    public static int Rank(JsonObject tensor) => Shape(tensor).Length;

    /// <summary>A tensor's shape as Keras prints it: <c>(None, 2, 3)</c>.</summary>
    public static string Format(int?[] shape) => $"({string.Join(", ", shape.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "None"))})";

    public NotSupportedException Unknown() => new(
        $"{_where}: '{Name}' is a Keras operation ({Module}.{ClassName}) that NeuralNet does not read. It reads {KerasOperationLayers.Known}; write the rest as layers in Keras.");

    public NotSupportedException Refused(string argument, string why) => new($"{Describe}, argument '{argument}': {why}.");

    /// <summary>Requires the call to take tensors only: <paramref name="count"/> of them, or one list of any number when -1.</summary>
    public void RequireTensors(int count)
    {
        bool fits = count < 0
            ? Arguments.Count == 1 && Arguments[0] is JsonArray && Tensors.Count > 0
            : Arguments.Count == count && Tensors.Count == count;
        if (!fits)
        {
            throw Refused("args", $"expected {(count < 0 ? "one list of tensors" : $"{count} tensor(s)")}, got {Arguments.ToJsonString()}");
        }
    }

    /// <summary>The tensor and the number of a two-argument call (<c>x * 0.5</c>, <c>1 - x</c>), and whether the number comes first.</summary>
    public (float Constant, bool First) TensorAndConstant()
    {
        if (Arguments.Count == 2 && Tensors.Count == 1)
        {
            int at = IsTensor(Arguments[0]) ? 1 : 0;
            if (Arguments[at] is JsonValue value && value.TryGetValue(out double number) && float.IsFinite((float)number))
            {
                return ((float)number, at == 0);
            }
        }

        throw Refused("args", $"expected two tensors, or a tensor and a finite number, got {Arguments.ToJsonString()}");
    }

    /// <summary>Refuses a config key other than <c>name</c> and <paramref name="keys"/>: an argument NeuralNet would not honour.</summary>
    public void Allow(params string[] keys)
    {
        foreach (var (key, value) in Config)
        {
            if (key != "name" && !keys.Contains(key))
            {
                throw Refused(key, $"{key}={value?.ToJsonString() ?? "null"} is not an argument NeuralNet reads for {ClassName} (it reads {(keys.Length == 0 ? "none" : string.Join(", ", keys))})");
            }
        }
    }

    public bool Boolean(string key, bool fallback) => Config[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out bool b) => b,
        JsonNode other => throw Refused(key, $"expected true or false, got {other.ToJsonString()}"),
    };

    public double Double(string key, double fallback) => Config[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out double d) => d,
        JsonNode other => throw Refused(key, $"expected a number, got {other.ToJsonString()}"),
    };

    /// <summary>A required finite number of the config.</summary>
    public float Single(string key) => Config[key] switch
    {
        JsonValue v when v.TryGetValue(out double d) && float.IsFinite((float)d) => (float)d,
        var other => throw Refused(key, $"expected a finite number, got {other?.ToJsonString() ?? (Config.ContainsKey(key) ? "null" : "no value (the key is missing)")}"),
    };

    public int Int32(string key, int fallback) => Config[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out int i) => i,
        JsonNode other => throw Refused(key, $"expected an integer, got {other.ToJsonString()}"),
    };

    /// <summary>The config's integer or list of integers (Keras ops take either for <c>axis</c>), or null.</summary>
    private int[]? Integers(string key) => Config[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out int i) => [i],
        JsonArray list when list.All(n => n is JsonValue e && e.TryGetValue(out int _)) => [.. list.Select(n => n!.GetValue<int>())],
        JsonNode other => throw Refused(key, $"expected an integer or a list of integers, got {other.ToJsonString()}"),
    };

    // An axis of a tensor of that rank, counted from 0 (the batch axis), refused when it is the batch axis or out of range.
    private int Normalized(string key, int axis, int rank)
    {
        int full = axis < 0 ? axis + rank : axis;
        if (full < 0 || full >= rank)
        {
            throw Refused(key, $"axis {axis} is out of range for an input of rank {rank}");
        }

        if (full == 0)
        {
            throw Refused(key, $"axis {axis} is the batch axis, which a NeuralNet layer keeps (each sample is computed on its own)");
        }

        return full;
    }

    /// <summary>A single axis (<c>Concatenate</c>'s), as written, checked against the rank.</summary>
    public int SampleAxis(string key, int fallback, int rank)
    {
        int axis = Int32(key, fallback);
        Normalized(key, axis, rank);
        return axis;
    }

    /// <summary>
    /// The axis that <c>ops.split</c> / <c>ops.unstack</c> take apart, as written, checked against the input's rank and
    /// refused when its size is unknown in the file (None): the outputs would change in number or size from batch to batch.
    /// Checked here, from the shape Keras recorded, because the model's build for a nominal length would refuse it first with
    /// a message about that length.
    /// </summary>
    public int FixedSampleAxis(string key, int fallback)
    {
        int?[] shape = Shape(Tensors[0]);
        int axis = SampleAxis(key, fallback, shape.Length);
        if (shape[axis < 0 ? axis + shape.Length : axis] is null)
        {
            throw Refused(key, $"axis {axis} of the input {Format(shape)} is a variable axis (None): the number or the sizes of the outputs would follow each batch's length, while a model's outputs are fixed; give that axis a fixed length in Keras (keras.Input(shape=...)), or take apart another axis");
        }

        return axis;
    }

    /// <summary>
    /// The axis of <c>ops.softmax</c> / <c>ops.log_softmax</c> as written (-1 when absent, Keras' default), or its list of
    /// axes, none of them the batch axis, and whether it is a list. An explicit <c>axis=None</c> (JSON null) is refused:
    /// Keras then normalizes over every axis, the batch axis too.
    /// </summary>
    public (int[] Axes, bool List) SoftmaxAxes()
    {
        int rank = Rank(Tensors[0]);
        int[] axes = !Config.ContainsKey("axis") ? [-1]
            : Integers("axis") ?? throw Refused("axis", "axis=None normalizes over every axis, the batch axis too; NeuralNet's Softmax and LogSoftmax keep each sample on its own (give the sample axes, e.g. axis=[1, 2])");
        int[] full = [.. axes.Select(a => Normalized("axis", a, rank))];
        if (full.Length == 0 || full.Distinct().Count() != full.Length)
        {
            throw Refused("axis", $"axis={Config["axis"]!.ToJsonString()}: expected one or more distinct axes of the input of rank {rank}");
        }

        return (axes, Config["axis"] is JsonArray);
    }

    /// <summary><c>ops.stack(xs, axis)</c>: the new axis as written (Keras' default 0 is the batch axis, refused), of tensors of one shape.</summary>
    public int StackAxis()
    {
        int?[] first = Shape(Tensors[0]);
        foreach (JsonObject tensor in Tensors.Skip(1))
        {
            if (!Shape(tensor).SequenceEqual(first))
            {
                throw Refused("args", $"it stacks tensors of shapes {string.Join(" and ", Tensors.Select(t => Format(Shape(t))).Distinct())}; ops.stack needs one shape");
            }
        }

        int axis = Int32("axis", 0);
        Normalized("axis", axis, first.Length + 1);
        return axis;
    }

    /// <summary>The axes of a reduction, as written, none of them the batch axis.</summary>
    public int[] ReducedAxes()
    {
        int[] axes = Integers("axis") ?? throw Refused("axis", "axis=None reduces over every axis, the batch axis too; NeuralNet's Reduce keeps one result per sample (give the sample axes, e.g. axis=[1, 2])");
        int rank = Rank(Tensors[0]);
        int[] full = [.. axes.Select(a => Normalized("axis", a, rank))];
        if (full.Length == 0 || full.Distinct().Count() != full.Length)
        {
            throw Refused("axis", $"axis={Config["axis"]!.ToJsonString()}: expected one or more distinct axes of the input of rank {rank}");
        }

        return axes;
    }

    // The sample dimensions of the input, which must all be known (a Reshape layer's target is static).
    private int[] StaticSampleShape(string argument)
    {
        int?[] shape = Shape(Tensors[0]);
        if (shape.Length == 0 || shape.Skip(1).Any(d => d is null))
        {
            throw Refused(argument, $"the input's shape {Format(shape)} has sizes unknown in the file, which NeuralNet's Reshape needs");
        }

        return [.. shape.Skip(1).Select(d => d!.Value)];
    }

    /// <summary><c>ops.reshape(x, newshape)</c> with a first entry of -1 (the batch): the Reshape layer's target, the rest.</summary>
    public int[] ReshapeTarget()
    {
        if (Config["newshape"] is not JsonArray { Count: > 1 } shape
            || !(shape[0] is null || (shape[0] is JsonValue first && first.TryGetValue(out int batch) && batch == -1))
            || !shape.Skip(1).All(n => n is JsonValue v && v.TryGetValue(out int size) && (size >= 1 || size == -1))
            || shape.Skip(1).Count(n => n!.GetValue<int>() == -1) > 1)
        {
            throw Refused("newshape", $"newshape={Config["newshape"]?.ToJsonString() ?? "null"}: NeuralNet reads a reshape that keeps the batch axis first, (-1, d1, d2, ...) with at most one more -1");
        }

        int[] target = [.. shape.Skip(1).Select(n => n!.GetValue<int>())];
        int?[] input = Shape(Tensors[0]);
        if (input.Skip(1).All(d => d is not null))
        {
            // Every sample's size known: the target must hold exactly that many numbers, none moved into the batch axis.
            long size, known;
            try
            {
                size = input.Skip(1).Aggregate(1L, (p, d) => checked(p * d!.Value));
                known = target.Where(d => d != -1).Aggregate(1L, (p, d) => checked(p * d));
            }
            catch (OverflowException)
            {
                throw Refused("newshape", $"newshape={Config["newshape"]!.ToJsonString()} or the input's shape holds more numbers than a sample can");
            }

            if (target.Contains(-1) ? size % known != 0 : size != known)
            {
                throw Refused("newshape", $"newshape={Config["newshape"]!.ToJsonString()} does not hold a sample of shape ({string.Join(", ", input.Skip(1))}), {size} numbers, without changing the batch size; NeuralNet's Reshape keeps each sample's numbers in its sample");
            }
        }

        return target;
    }

    /// <summary><c>ops.expand_dims(x, axis)</c>: the shape with 1 inserted at each axis of the result.</summary>
    public int[] ExpandedShape()
    {
        int[] sample = StaticSampleShape("axis");
        int[] axes = Integers("axis") ?? throw Refused("axis", "expected an axis");
        int rank = sample.Length + 1 + axes.Length;
        var inserted = new SortedSet<int>(axes.Select(a => Normalized("axis", a, rank)));
        if (inserted.Count != axes.Length)
        {
            throw Refused("axis", $"axis {Config["axis"]!.ToJsonString()} repeats an axis");
        }

        var result = new List<int>();
        int next = 0;
        for (int d = 1; d < rank; d++)
        {
            result.Add(inserted.Contains(d) ? 1 : sample[next++]);
        }

        return [.. result];
    }

    /// <summary><c>ops.squeeze(x, axis)</c>: the shape without the size-1 axes named (every sample one when axis is None).</summary>
    public int[] SqueezedShape()
    {
        int[] sample = StaticSampleShape("axis");
        int rank = sample.Length + 1;
        int[]? axes = Integers("axis");
        HashSet<int> removed = axes is null
            ? [.. Enumerable.Range(1, sample.Length).Where(d => sample[d - 1] == 1)]
            : [.. axes.Select(a => Normalized("axis", a, rank))];
        foreach (int d in removed.Where(d => sample[d - 1] != 1))
        {
            throw Refused("axis", $"axis {d} has size {sample[d - 1]}, and squeeze removes axes of size 1");
        }

        if (removed.Count == sample.Length)
        {
            throw Refused("axis", "squeezing every sample axis leaves one number per sample, which NeuralNet's Reshape cannot give; keep one axis of size 1");
        }

        return [.. Enumerable.Range(1, sample.Length).Where(d => !removed.Contains(d)).Select(d => sample[d - 1])];
    }

    /// <summary><c>ops.transpose(x, axes)</c> that keeps the batch axis first: Permute's dims (axes after the first).</summary>
    public int[] Permutation()
    {
        int rank = Rank(Tensors[0]);
        int[] axes = Integers("axes") ?? throw Refused("axes", "axes=None reverses every axis, the batch axis too; NeuralNet reads a transpose that keeps axis 0 first");
        int[] full = [.. axes.Select(a => a < 0 ? a + rank : a)];
        if (full.Length != rank || rank == 0 || full[0] != 0 || !full.Order().SequenceEqual(Enumerable.Range(0, rank)))
        {
            throw Refused("axes", $"axes={Config["axes"]!.ToJsonString()}: NeuralNet reads a permutation of all {rank} axes that keeps the batch axis 0 first");
        }

        return full[1..];
    }
}
