using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;

namespace NeuralNet.Keras;

/// <summary>
/// The layer that computes what a Keras operation item computes (<c>keras.ops</c> called on symbolic tensors, and Python
/// operators on them: <c>x + y</c> is <c>ops.add</c>, class <c>Add</c> of <c>keras.src.ops.numpy</c>). Keras 3 writes
/// such an item with the op's <c>get_config</c> (its constructor arguments: <c>axis</c>, <c>keepdims</c>, <c>newshape</c>,
/// ...) and one inbound node whose <c>args</c> hold the call's tensors and constants as they were passed
/// (<c>[x, 0.5]</c> for <c>x * 0.5</c>, <c>[[a, b]]</c> for <c>ops.concatenate([a, b])</c>).
/// </summary>
internal static class KerasOperationLayers
{
    public const string NumpyModule = "keras.src.ops.numpy";
    public const string NnModule = "keras.src.ops.nn";
    public const string MathModule = "keras.src.ops.math";
    public const string CoreModule = "keras.src.ops.core";

    // keras.ops.nn functions without arguments that are NeuralNet activations of the same formula (keras/src/ops/nn.py
    // calls the same backend functions as keras/src/activations).
    private static readonly Dictionary<string, ActivationFunction> s_activations = new(StringComparer.Ordinal)
    {
        ["Relu"] = ActivationFunction.Relu,
        ["Relu6"] = ActivationFunction.Relu6,
        ["Sigmoid"] = ActivationFunction.Sigmoid,
        ["Softplus"] = ActivationFunction.Softplus,
        ["Softsign"] = ActivationFunction.Softsign,
        ["Silu"] = ActivationFunction.Silu,
        ["Selu"] = ActivationFunction.Selu,
        ["HardSigmoid"] = ActivationFunction.HardSigmoid,
    };

    // The element-wise functions by class, with the module of each (keras.src.ops.math for erf).
    private static readonly Dictionary<string, (string Module, ElementwiseFunction Function)> s_math = new(StringComparer.Ordinal)
    {
        ["Sqrt"] = (NumpyModule, ElementwiseFunction.Sqrt),
        ["Square"] = (NumpyModule, ElementwiseFunction.Square),
        ["Exp"] = (NumpyModule, ElementwiseFunction.Exp),
        ["Log"] = (NumpyModule, ElementwiseFunction.Log),
        ["Absolute"] = (NumpyModule, ElementwiseFunction.Abs),
        ["Negative"] = (NumpyModule, ElementwiseFunction.Negative),
        ["Sin"] = (NumpyModule, ElementwiseFunction.Sin),
        ["Cos"] = (NumpyModule, ElementwiseFunction.Cos),
        ["Floor"] = (NumpyModule, ElementwiseFunction.Floor),
        ["Round"] = (NumpyModule, ElementwiseFunction.Round),
        ["Sign"] = (NumpyModule, ElementwiseFunction.Sign),
        ["Erf"] = (MathModule, ElementwiseFunction.Erf),
    };

    private static readonly Dictionary<string, Reduction> s_reductions = new(StringComparer.Ordinal)
    {
        ["Mean"] = Reduction.Mean,
        ["Sum"] = Reduction.Sum,
        ["Max"] = Reduction.Max,
        ["Min"] = Reduction.Min,
    };

    private static readonly Dictionary<string, ArithmeticOperator> s_arithmetic = new(StringComparer.Ordinal)
    {
        ["Add"] = ArithmeticOperator.Add,
        ["Subtract"] = ArithmeticOperator.Subtract,
        ["Multiply"] = ArithmeticOperator.Multiply,
        ["Divide"] = ArithmeticOperator.Divide,
        ["TrueDivide"] = ArithmeticOperator.Divide,
        ["Maximum"] = ArithmeticOperator.Maximum,
        ["Minimum"] = ArithmeticOperator.Minimum,
        ["Power"] = ArithmeticOperator.Power,
    };

    // keras.src.ops.numpy's comparisons and logical operations, read as the Comparison layer.
    private static readonly Dictionary<string, ComparisonOperator> s_comparisons =
        Enum.GetValues<ComparisonOperator>().ToDictionary(c => c.ToString(), c => c, StringComparer.Ordinal);

    // The class each value is written as: the first class read as it (Divide before TrueDivide).
    private static Dictionary<TValue, string> Inverse<TValue>(Dictionary<string, TValue> classes)
        where TValue : notnull
    {
        var inverse = new Dictionary<TValue, string>();
        foreach (var (className, value) in classes)
        {
            inverse.TryAdd(value, className);
        }

        return inverse;
    }

    private static readonly Dictionary<ArithmeticOperator, string> s_arithmeticClasses = Inverse(s_arithmetic);
    private static readonly Dictionary<ElementwiseFunction, (string Module, string ClassName)> s_mathClasses = s_math.ToDictionary(p => p.Value.Function, p => (p.Value.Module, p.Key));
    private static readonly Dictionary<Reduction, string> s_reductionClasses = Inverse(s_reductions);

    /// <summary>The <c>keras.src.ops.numpy</c> class of the operator (<c>Divide</c> for division).</summary>
    public static string ClassOf(ArithmeticOperator op) => s_arithmeticClasses[op];

    /// <summary>The <c>keras.src.ops</c> class of the function (<c>Absolute</c> for |x|).</summary>
    public static string ClassOf(ElementwiseFunction function) => s_mathClasses[function].ClassName;

    /// <summary>The module of the function's class: <c>keras.src.ops.math</c> for erf, <c>keras.src.ops.numpy</c> for the others.</summary>
    public static string ModuleOf(ElementwiseFunction function) => s_mathClasses[function].Module;

    /// <summary>The <c>keras.src.ops.numpy</c> class of the reduction.</summary>
    public static string ClassOf(Reduction reduction) => s_reductionClasses[reduction];

    // Every class read, with its module: the one list that Reads and Known derive from (numpy, nn, math, core in Known's order).
    private static readonly (string Module, string ClassName)[] s_classes =
    [
        .. s_arithmetic.Keys.Select(c => (NumpyModule, c)),
        .. ((string[])["Matmul", "Clip", "Concatenate", "Stack", "Reshape", "Transpose", "ExpandDims", "Squeeze", "Tanh", "Where", "Split", "TakeAlongAxis"]).Select(c => (NumpyModule, c)),
        .. s_reductions.Keys.Select(c => (NumpyModule, c)),
        .. s_comparisons.Keys.Select(c => (NumpyModule, c)),
        .. s_activations.Keys.Select(c => (NnModule, c)),
        .. ((string[])["Gelu", "Softmax", "LogSoftmax", "Elu"]).Select(c => (NnModule, c)),
        .. s_math.Select(p => (p.Value.Module, p.Key)),
        (CoreModule, "Cast"),
        (CoreModule, "Unstack"),
    ];

    /// <summary>The names of the operations read, for messages: <c>keras.src.ops.numpy: Add, ...; keras.src.ops.nn: Relu, ...</c>.</summary>
    public static string Known => string.Join("; ", s_classes.GroupBy(c => c.Module).Select(g => $"{g.Key}: {string.Join(", ", g.Select(c => c.ClassName))}"));

    /// <summary>Whether NeuralNet reads the operation class <paramref name="className"/> of <paramref name="module"/>.</summary>
    public static bool Reads(string module, string className) => s_classes.Contains((module, className));

    /// <summary>
    /// The layer item (class_name, config, name, inbound_nodes: one per call of the operation) that replaces the operation
    /// item. A layer that would pass masks on is told not to (<c>"drops_masks": true</c>): Keras calls operations without
    /// masks, so a mask stops at an operation.
    /// </summary>
    /// <param name="item">A layer-list item whose module is a <c>keras.src.ops</c> one.</param>
    /// <param name="where">The file and entry, for messages.</param>
    /// <exception cref="NotSupportedException">The operation is not one NeuralNet reads, or it has an argument NeuralNet cannot honour.</exception>
    public static JsonObject ToLayerItem(JsonObject item, string where)
    {
        var call = new KerasOperationCall(item, where);
        Layer layer;
        try
        {
            layer = Create(call);
        }
        catch (ArgumentException ex)
        {
            // A layer's constructor refused what the arguments make (a repeated axis, ...).
            throw call.Refused("config", ex.Message);
        }

        // The Softmax layer ignores masks, but Keras' layers.Softmax, which SaveModel would write without the op's item,
        // uses them: it is marked too, so that SaveModel refuses it then.
        JsonNode config = JsonNode.Parse(layer.GetConfig().ToJson())!;
        if (layer.SupportsMasking || layer is Layers.Softmax)
        {
            config["drops_masks"] = true;
        }

        // Keras' merge layers and Concatenate take their inputs as one list.
        JsonArray Args(List<JsonObject> tensors) => layer is Merge or Concatenate or MatMul or Stack or TakeAlongAxis
            ? new JsonArray(new JsonArray([.. tensors.Select(t => t.DeepClone())]))
            : new JsonArray(tensors[0].DeepClone());
        return new JsonObject
        {
            ["class_name"] = layer.TypeName,
            ["config"] = config,
            ["name"] = call.Name,
            ["inbound_nodes"] = new JsonArray([.. call.Calls.Select(c => (JsonNode)new JsonObject { ["args"] = Args(c.Tensors), ["kwargs"] = new JsonObject() })]),
        };
    }

    private static Layer Create(KerasOperationCall call)
    {
        string op = call.ClassName;
        call.Allow(op switch
        {
            "Concatenate" or "Stack" or "ExpandDims" or "Squeeze" or "Softmax" or "LogSoftmax" or "TakeAlongAxis" => ["axis"],
            "Mean" or "Sum" => ["axis", "keepdims"],
            "Max" or "Min" => ["axis", "keepdims", "initial"],
            "Reshape" => ["newshape"],
            "Transpose" => ["axes"],
            "Gelu" => ["approximate"],
            "Elu" => ["alpha"],
            "Clip" => ["x_min", "x_max"],
            "Round" => ["decimals"],
            "Cast" => ["dtype"],
            "Split" => ["indices_or_sections", "axis"],
            "Unstack" => ["num", "axis"],
            _ => [],
        });
        if (call.Module == NnModule)
        {
            call.RequireTensors(1);
            return op switch
            {
                _ when s_activations.TryGetValue(op, out ActivationFunction? function) => new Activation(function, call.Name),
                "Gelu" => new Activation(new Gelu(call.Boolean("approximate", true)), call.Name),
                "Elu" => new Activation(new Elu((float)call.Double("alpha", 1.0)), call.Name),
                "Softmax" or "LogSoftmax" => AxisSoftmax(call, log: op == "LogSoftmax"),
                _ => throw call.Unknown(),
            };
        }

        if (call.Module is MathModule or CoreModule)
        {
            call.RequireTensors(1);
            return op switch
            {
                "Cast" => Cast(call),
                "Unstack" => Unstacked(call),
                _ => new ElementwiseMath(s_math[op].Function, call.Name),
            };
        }

        if (call.Module != NumpyModule)
        {
            throw call.Unknown();
        }

        if (s_arithmetic.TryGetValue(op, out ArithmeticOperator arithmetic))
        {
            return Binary(call, op, arithmetic);
        }

        if (op == "Matmul")
        {
            return Matmul(call);
        }

        if (op == "Where")
        {
            return Selected(call);
        }

        if (op == "TakeAlongAxis")
        {
            return TakenAlong(call);
        }

        if (s_comparisons.TryGetValue(op, out ComparisonOperator comparison))
        {
            return Compared(call, comparison);
        }

        call.RequireTensors(op is "Concatenate" or "Stack" ? -1 : 1);
        if (op == "Round" && call.Int32("decimals", 0) != 0)
        {
            throw call.Refused("decimals", $"decimals={call.Config["decimals"]!.ToJsonString()}: NeuralNet rounds to integers (decimals=0)");
        }

        return op switch
        {
            "Concatenate" => new Concatenate(call.SampleAxis("axis", 0, call.Tensors.Max(t => KerasOperationCall.Rank(t))), call.Name),
            "Stack" => new Stack(call.StackAxis(), call.Name),
            "Reshape" => new Reshape(call.ReshapeTarget(), call.Name),
            "ExpandDims" => new Reshape(call.ExpandedShape(), call.Name),
            "Squeeze" => new Reshape(call.SqueezedShape(), call.Name),
            "Transpose" => new Permute(call.Permutation(), call.Name),
            "Tanh" => new Activation(ActivationFunction.Tanh, call.Name),
            "Clip" => Clipped(call),
            "Split" => Splitted(call),
            _ when s_math.TryGetValue(op, out var math) => new ElementwiseMath(math.Function, call.Name),
            _ when s_reductions.TryGetValue(op, out Reduction reduction) => Reduced(call, reduction),
            _ => throw call.Unknown(),
        };
    }

    // Two tensors of the same rank: the merge layer of the same name; a tensor and a number: ScalarArithmetic.
    private static Layer Binary(KerasOperationCall call, string op, ArithmeticOperator arithmetic)
    {
        if (call.Tensors.Count == 2 && call.Arguments.Count == 2)
        {
            RequireSameRank(call);

            return op switch
            {
                "Add" => new Add(call.Name),
                "Subtract" => new Subtract(call.Name),
                "Multiply" => new Multiply(call.Name),
                "Maximum" => new Maximum(call.Name),
                "Minimum" => new Minimum(call.Name),
                "Divide" or "TrueDivide" => new Divide(call.Name),
                _ => throw call.Refused("args", "it raises a tensor to the power of a tensor, which no NeuralNet layer does; give a number as the exponent (x ** 2) or as the base (2 ** x)"),
            };
        }

        (float constant, bool first) = call.TensorAndConstant();
        return new ScalarArithmetic(arithmetic, constant, first, call.Name);
    }

    // NumPy aligns shapes from the last axis, so a tensor of lower rank would have its batch axis against a sample axis of
    // the other; NeuralNet's merge layers give it its missing axes after the batch axis. They agree at the same rank only.
    private static void RequireSameRank(KerasOperationCall call)
    {
        if (call.Tensors.Select(KerasOperationCall.Rank).Distinct().Count() > 1)
        {
            string shapes = string.Join(", ", call.Tensors.Select(t => KerasOperationCall.Format(KerasOperationCall.Shape(t))));
            throw call.Refused("args", $"it combines tensors of shapes {shapes}, of different ranks, which NumPy broadcasting aligns from the last axis, the batch axis of the shorter against a sample axis of the longer; NeuralNet reads tensors of the same rank (give the shorter its missing axes of size 1 after the batch axis with ops.expand_dims or ops.reshape)");
        }
    }

    // ops.where(condition, x1, x2) of three tensors of the same rank is the Where layer, and so is a call with a number as
    // x1 or x2 (ops.where(mask, scores, -1e9)), which Keras writes inline in the call's args; with one argument it gives
    // the indices where the condition holds, a tensor whose size depends on the values.
    private static Where Selected(KerasOperationCall call)
    {
        if (call.Arguments.Count == 3 && call.Tensors.Count == 1 && call.Arguments[1] is null && call.Arguments[2] is null)
        {
            throw call.Refused("args", "ops.where(condition) with one argument gives the indices where the condition holds, whose number depends on the values; NeuralNet reads ops.where(condition, x1, x2) of tensors or numbers");
        }

        if (call.Arguments.Count != 3 || !KerasOperationCall.IsTensor(call.Arguments[0]))
        {
            throw call.Refused("args", $"expected the condition (a tensor), then x1 and x2 (tensors or finite numbers), got {call.Arguments.ToJsonString()}");
        }

        float? Branch(int at) => KerasOperationCall.IsTensor(call.Arguments[at]) ? null
            : call.Arguments[at] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number && value.TryGetValue(out double number) && float.IsFinite((float)number) ? (float)number
            : throw call.Refused("args", $"x{at} is {call.Arguments[at]?.ToJsonString() ?? "null"}; expected a tensor or a finite number (the condition, then x1 and x2, got {call.Arguments.ToJsonString()})");
        float? whenTrue = Branch(1), whenFalse = Branch(2);
        RequireSameRank(call);
        return new Where(whenTrue, whenFalse, call.Name);
    }

    // ops.greater(a, b), ..., ops.logical_and(a, b) of two tensors of the same rank, or of a tensor and a number (either
    // first: ops.greater(0, x) is x < 0), and ops.logical_not(x): the Comparison layer, 0/1 floats for Keras' bools.
    private static Comparison Compared(KerasOperationCall call, ComparisonOperator comparison)
    {
        if (comparison == ComparisonOperator.LogicalNot)
        {
            call.RequireTensors(1);
            return new Comparison(comparison, name: call.Name);
        }

        if (call.Tensors.Count == 2 && call.Arguments.Count == 2)
        {
            RequireSameRank(call);
            return new Comparison(comparison, name: call.Name);
        }

        (float constant, bool first) = call.TensorAndConstant();
        return new Comparison(first ? Swapped(comparison) : comparison, constant, call.Name);
    }

    // The operator with its operands swapped: c > x is x < c; the symmetric ones stay.
    private static ComparisonOperator Swapped(ComparisonOperator comparison) => comparison switch
    {
        ComparisonOperator.Greater => ComparisonOperator.Less,
        ComparisonOperator.GreaterEqual => ComparisonOperator.LessEqual,
        ComparisonOperator.Less => ComparisonOperator.Greater,
        ComparisonOperator.LessEqual => ComparisonOperator.GreaterEqual,
        _ => comparison,
    };

    // ops.split(x, indices_or_sections, axis): equal sections (an integer) or the indices of a list.
    private static Split Splitted(KerasOperationCall call)
    {
        int axis = call.FixedSampleAxis("axis", 0);
        return call.Config["indices_or_sections"] switch
        {
            JsonValue v when v.TryGetValue(out int sections) => new Split(sections, axis, call.Name),
            JsonArray list when list.All(n => n is JsonValue e && e.TryGetValue(out int _)) => new Split([.. list.Select(n => n!.GetValue<int>())], axis, call.Name),
            var other => throw call.Refused("indices_or_sections", $"expected a number of sections or a list of indices, got {other?.ToJsonString() ?? "no value"}"),
        };
    }

    // ops.unstack(x, num, axis).
    private static Unstack Unstacked(KerasOperationCall call)
    {
        int axis = call.FixedSampleAxis("axis", 0);
        int? num = call.Config["num"] is null ? null : call.Int32("num", 0);
        return new Unstack(axis, num, call.Name);
    }

    // ops.matmul of two tensors of the same rank 3 or more is the MatMul layer, over the last two axes for each index of
    // the others: (batch, n, k) @ (batch, k, m) = (batch, n, m) at rank 3 (read as Dot with axes (2, 1) before session 37,
    // which computes the same; MatMul keeps the type through a round trip of a C#-built MatMul).
    private static MatMul Matmul(KerasOperationCall call)
    {
        call.RequireTensors(2);
        int?[] a = KerasOperationCall.Shape(call.Tensors[0]), b = KerasOperationCall.Shape(call.Tensors[1]);
        string shapes = $"{KerasOperationCall.Format(a)} @ {KerasOperationCall.Format(b)}";
        if (a.Length != b.Length || a.Length < 3)
        {
            throw call.Refused("args", $"it multiplies tensors of shapes {shapes}; NeuralNet reads a matmul of two tensors of the same rank, at least 3 with the batch axis first, (batch, ..., n, k) @ (batch, ..., k, m) (a weight matrix belongs in a Dense or EinsumDense layer)");
        }

        if (a[^1] is int k && b[^2] is int k2 && k != k2)
        {
            throw call.Refused("args", $"the first tensor's last axis has {k} entries and the second's next-to-last axis {k2} ({shapes}); a matmul needs them equal");
        }

        for (int d = 1; d < a.Length - 2; d++)
        {
            if (a[d] is int x && b[d] is int y && x != y && x != 1 && y != 1)
            {
                throw call.Refused("args", $"axis {d} has {x} entries in the first tensor and {y} in the second ({shapes}); matmul broadcasts the leading axes when they are equal or one of them is 1");
            }
        }

        return new MatMul(call.Name);
    }

    // ops.take_along_axis(x, indices, axis) of two tensors of the same rank along a sample axis is the TakeAlongAxis
    // layer: both carry the batch axis, so NumPy's rule, out[b, ..., i, ...] = x[b, ..., indices[b, ..., i, ...], ...],
    // picks within each sample as the layer does (the other axes broadcast alike). axis=None (Keras' default) picks from
    // the flattened tensor, batch axis included, and the batch axis itself would pick across samples.
    private static TakeAlongAxis TakenAlong(KerasOperationCall call)
    {
        call.RequireTensors(2);
        if (call.Config["axis"] is null)
        {
            throw call.Refused("axis", "axis=None picks from the flattened tensor, batch axis included, so indices would reach across samples; NeuralNet reads ops.take_along_axis along a sample axis (axis=1, ..., or negative)");
        }

        int?[] x = KerasOperationCall.Shape(call.Tensors[0]), indices = KerasOperationCall.Shape(call.Tensors[1]);
        if (x.Length != indices.Length)
        {
            throw call.Refused("args", $"x {KerasOperationCall.Format(x)} and indices {KerasOperationCall.Format(indices)} differ in rank; take_along_axis needs the same rank");
        }

        return new TakeAlongAxis(call.SampleAxis("axis", 0, x.Length), call.Name);
    }

    // ops.clip(x, x_min, x_max) with finite bounds in order (NumPy's clip would give x_max everywhere when x_min > x_max).
    private static Clip Clipped(KerasOperationCall call)
    {
        float min = call.Single("x_min"), max = call.Single("x_max");
        if (min > max)
        {
            throw call.Refused("x_max", $"x_max={call.Config["x_max"]!.ToJsonString()} is less than x_min={call.Config["x_min"]!.ToJsonString()}; NeuralNet's Clip needs x_min <= x_max");
        }

        return new Clip(min, max, call.Name);
    }

    // ops.cast changes only the type; to float32, NeuralNet's only type, it changes nothing. To bool it makes each number
    // its truth value as NumPy reads it (nonzero, NaN included, is True), which NeuralNet holds as 1 and 0: x != 0.
    private static Layer Cast(KerasOperationCall call)
    {
        string? dtype = KerasConfigItems.Text(call.Config["dtype"]);
        return dtype switch
        {
            "float32" => new Identity(call.Name),
            "bool" => new Comparison(ComparisonOperator.NotEqual, 0f, call.Name),
            _ => throw call.Refused("dtype", $"dtype={call.Config["dtype"]?.ToJsonString() ?? "null"}: NeuralNet computes in float32 and reads a cast to float32, or to bool (as 0/1 floats)"),
        };
    }

    // ops.softmax / ops.log_softmax: over the last axis alone, the Activation of that function (as read before); over
    // another axis, or several taken together, the Softmax or LogSoftmax layer with the axis as written.
    private static Layer AxisSoftmax(KerasOperationCall call, bool log)
    {
        (int[] axes, bool list) = call.SoftmaxAxes();
        if (!list && (axes[0] == -1 || axes[0] == KerasOperationCall.Rank(call.Tensors[0]) - 1))
        {
            return new Activation(log ? ActivationFunction.LogSoftmax : ActivationFunction.Softmax, call.Name);
        }

        return (log, list) switch
        {
            (true, true) => new Layers.LogSoftmax(axes, call.Name),
            (true, false) => new Layers.LogSoftmax(axes[0], call.Name),
            (false, true) => new Layers.Softmax(axes, call.Name),
            (false, false) => new Layers.Softmax(axes[0], call.Name),
        };
    }

    private static Reduce Reduced(KerasOperationCall call, Reduction reduction)
    {
        if (call.Config["initial"] is JsonNode initial)
        {
            throw call.Refused("initial", $"initial={initial.ToJsonString()}: NeuralNet's Reduce takes no initial value");
        }

        return new Reduce(reduction, call.ReducedAxes(), call.Boolean("keepdims", false), call.Name);
    }
}
