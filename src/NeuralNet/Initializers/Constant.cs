using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// Fills with one value, or with an array of values (Keras' <c>Constant(np.eye(3).flatten())</c>, as keras.io's PointNet
/// starts its transform's bias at the identity).
/// </summary>
/// <remarks>
/// Keras 3 fills with <c>cast(value) * ones(shape)</c>, so an array broadcasts to the weight's shape by NumPy's rules
/// (trailing axes aligned, each equal or 1, as <c>ops.broadcast_to</c>). An array with exactly the weight's number of
/// elements fills it in row-major order too (Keras would need the array reshaped first).
/// </remarks>
public sealed class Constant : Initializer
{
    private readonly float[]? _values;
    private readonly TensorShape? _valueShape;

    /// <summary>Creates the initializer.</summary>
    /// <param name="value">The value of every element (Keras default 0); a double, as Keras' literal reads in C#, used as
    /// float32.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is a finite double beyond float32's range
    /// (it would fill with infinity).</exception>
    public Constant(double value = 0)
    {
        if (double.IsFinite(value) && !float.IsFinite((float)value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Constant expects a value within float32's range, the type of the weights it fills. Received: value={Float32Hyperparameter.Format(value)}.");
        }

        Value = (float)value;
    }

    /// <summary>Creates the initializer from a vector of values, of shape (n): see the remarks of <see cref="Constant"/>.</summary>
    /// <param name="values">The values, copied; one value is a scalar of shape (1), which broadcasts to any weight.</param>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public Constant(float[] values)
        : this(Tensor.FromArray(values ?? throw new ArgumentNullException(nameof(values)), values.Length == 0 ? throw new ArgumentException("Constant expects at least one value. Received: an empty array.", nameof(values)) : values.Length))
    {
    }

    /// <summary>Creates the initializer from an array of any shape: see the remarks of <see cref="Constant"/>.</summary>
    /// <param name="value">The values, copied with their shape.</param>
    /// <exception cref="ArgumentException"><paramref name="value"/> has no elements.</exception>
    public Constant(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            throw new ArgumentException($"Constant expects at least one value. Received: value of shape {value.Shape}.", nameof(value));
        }

        _values = value.ToArray();
        _valueShape = value.Shape;
        Value = _values[0];
    }

    /// <summary>
    /// The value of every element, as float32 (the value given, rounded to float32); for an array (<see cref="Values"/> not
    /// null), its first element.
    /// </summary>
    public float Value { get; }

    /// <summary>A copy of the array given to the constructor, with its shape; null for a scalar constant.</summary>
    public Tensor? Values => _values is null ? null : Tensor.FromArray([.. _values], _valueShape!.Value.Dimensions);

    /// <inheritdoc/>
    public override string Name => "constant";

    /// <summary>Checks that the array can fill a weight of shape <paramref name="shape"/>: it broadcasts to it, or has as many elements.</summary>
    /// <exception cref="ArgumentException">It cannot; the message names both shapes.</exception>
    public override void ValidateShape(TensorShape shape)
    {
        if (_valueShape is TensorShape valueShape && !BroadcastsTo(valueShape, shape) && valueShape.ElementCount != shape.ElementCount)
        {
            throw new ArgumentException($"Constant of shape {valueShape} ({valueShape.ElementCount} values) cannot fill a weight of shape {shape} ({shape.ElementCount} values): the values must broadcast to the weight's shape (trailing axes equal or 1, as Keras' ops.broadcast_to) or be as many as its elements.", nameof(shape));
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The array cannot fill a weight of shape <paramref name="shape"/> (see <see cref="ValidateShape"/>).</exception>
    public override void Initialize(Span<float> values, TensorShape shape, long seed)
    {
        if (_values is null)
        {
            values.Fill(Value);
            return;
        }

        TensorShape valueShape = _valueShape!.Value;
        ValidateShape(shape);
        if (valueShape.ElementCount == shape.ElementCount)
        {
            _values.CopyTo(values);
            return;
        }

        // Broadcast: element i of the weight reads the value at its index, with the value's size-1 and missing leading axes at 0.
        int rank = shape.Rank, offset = rank - valueShape.Rank;
        for (int i = 0; i < values.Length; i++)
        {
            int rest = i, source = 0, stride = 1;
            for (int axis = rank - 1; axis >= offset; axis--)
            {
                int index = rest % shape[axis];
                rest /= shape[axis];
                int size = valueShape[axis - offset];
                source += (size == 1 ? 0 : index) * stride;
                stride *= size;
            }

            values[i] = _values[source];
        }
    }

    /// <summary>
    /// Keras' <c>get_config</c>: <c>{"value": v}</c> for a scalar; for an array, the value as Keras serializes a NumPy array,
    /// <c>{"class_name": "__numpy__", "config": {"value": [nested lists], "dtype": "float32"}}</c>.
    /// </summary>
    public override Config GetConfig()
    {
        if (_values is null)
        {
            return new Config().Set("value", Value);
        }

        int next = 0;
        JsonNode nested = Nested(_valueShape!.Value.Dimensions, _values, ref next);
        var numpy = new JsonObject
        {
            ["class_name"] = "__numpy__",
            ["config"] = new JsonObject { ["value"] = nested, ["dtype"] = "float32" },
        };
        return new Config().Set("value", numpy);
    }

    /// <summary>
    /// Reads Keras' <c>value</c>: a number, a (nested) list, or a NumPy array or tensor as Keras serializes them
    /// (<c>__numpy__</c>, <c>__tensor__</c>); a nested list gives the array its shape.
    /// </summary>
    internal static Constant FromConfig(Config config)
    {
        JsonNode? node = config.GetNode("value");
        if (node is null)
        {
            return new Constant();
        }

        if (node is JsonValue)
        {
            // A scalar, written as float32 in memory or as a number in a file.
            return new Constant(config.GetDouble("value"));
        }

        if (node is JsonObject wrapped)
        {
            string? className = wrapped["class_name"] is JsonValue c && c.TryGetValue(out string? s) ? s : null;
            if (className is not ("__numpy__" or "__tensor__") || wrapped["config"] is not JsonObject inner || inner["value"] is not JsonNode inside)
            {
                throw config.Error($"\"value\" must be a number, a list of numbers, or a NumPy array or tensor as Keras writes them ({{\"class_name\": \"__numpy__\", \"config\": {{\"value\": [...]}}}}); it is {Config.Describe(node)}.");
            }

            node = inside;
        }

        if (node is JsonValue scalar)
        {
            return scalar.TryGetValue(out double d) ? new Constant(d) : throw config.Error($"\"value\" must be a number; it is {Config.Describe(node)}.");
        }

        var dimensions = new List<int>();
        for (JsonNode? level = node; level is JsonArray array; level = array.Count > 0 ? array[0] : null)
        {
            if (array.Count == 0)
            {
                throw config.Error("\"value\" holds an empty list; a Constant needs at least one value.");
            }

            dimensions.Add(array.Count);
        }

        var values = new List<float>();
        Flatten(node, dimensions, 0, values, config);
        return new Constant(Tensor.FromArray([.. values], [.. dimensions]));
    }

    private static void Flatten(JsonNode? node, List<int> dimensions, int depth, List<float> values, Config config)
    {
        if (depth == dimensions.Count)
        {
            if (node is JsonValue v && v.TryGetValue(out double d) && float.IsFinite((float)d))
            {
                values.Add((float)d);
                return;
            }

            throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"value\" element {values.Count} must be a finite number in float32's range; it is {Config.Describe(node)}."));
        }

        if (node is not JsonArray array || array.Count != dimensions[depth])
        {
            throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"value\" is not a rectangular array: a list at depth {depth} should hold {dimensions[depth]} items (the first list's length) but holds {Config.Describe(node)}."));
        }

        foreach (JsonNode? item in array)
        {
            Flatten(item, dimensions, depth + 1, values, config);
        }
    }

    private static JsonNode Nested(ReadOnlySpan<int> dimensions, float[] values, ref int next)
    {
        var array = new JsonArray();
        for (int i = 0; i < dimensions[0]; i++)
        {
            // As doubles, as NumPy's tolist() gives float32 values (and as every reader takes them).
            array.Add(dimensions.Length == 1 ? JsonValue.Create((double)values[next++]) : Nested(dimensions[1..], values, ref next));
        }

        return array;
    }

    private static bool BroadcastsTo(TensorShape from, TensorShape to)
    {
        if (from.Rank > to.Rank)
        {
            return false;
        }

        int offset = to.Rank - from.Rank;
        for (int axis = 0; axis < from.Rank; axis++)
        {
            if (from[axis] != 1 && from[axis] != to[axis + offset])
            {
                return false;
            }
        }

        return true;
    }
}
