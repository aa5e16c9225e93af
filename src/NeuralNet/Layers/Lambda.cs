using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A layer whose forward pass is a function of your own (Keras' <c>keras.layers.Lambda</c>): <c>new Lambda(x =&gt; x * x)</c>,
/// or, for several inputs, <c>new Lambda(v =&gt; Distance(v[0], v[1])).Call(a, b)</c>. NeuralNet has no automatic
/// differentiation, so the backward pass is a second function, <c>gradient</c>, which the layer needs only when a gradient
/// must flow through it (a layer before it has trainable weights).
/// </summary>
/// <remarks>
/// <para>Output shape: the layer runs the function once when it is built, on zeros of its input shapes with a batch of 2,
/// and takes the result's shape without its first axis (Keras infers it by running the function on symbolic tensors);
/// <c>outputShape</c>, Keras' <c>output_shape</c>, is then checked against it. A model with variable axes builds the
/// layer again for each length, running the function again. Every forward pass checks that the function kept the batch
/// size and gave the per-sample shape of the build.</para>
/// <para>Memory: the layer copies what the functions return into buffers it owns, so a function may return its input, a
/// view of it, or a buffer of its own that it reuses. A function that returns a new tensor allocates on every call, so a
/// model with such a Lambda does not train allocation-free; write a layer (docs/layers.md) for that. Concurrent
/// predictions call the functions from several threads, so they must not share writable state.</para>
/// <para>Masks: the layer gives its output no mask (Keras' Lambda without <c>mask</c>).</para>
/// <para>Saving: the functions are written by the names they are registered under with
/// <see cref="SerializationRegistry.RegisterFunction"/>, as Keras writes a registered function; the gradient function
/// goes inside the function's item, under <c>"gradient"</c>, which Keras does not read (a key of the layer's own config
/// would make Keras' constructor refuse it).</para>
/// </remarks>
public sealed class Lambda : MultiInputLayer
{
    // Zeros of this many samples are what the function runs on at build: more than one, so that a function that collapses
    // or drops the batch axis is refused there and not at the first batch.
    private const int ProbeBatch = 2;

    private readonly Func<Tensor, Tensor>? _function;
    private readonly Func<IReadOnlyList<Tensor>, Tensor>? _listFunction;
    private readonly Func<Tensor, Tensor, Tensor, Tensor>? _gradient;
    private readonly Func<IReadOnlyList<Tensor>, Tensor, Tensor, IReadOnlyList<Tensor?>>? _listGradient;
    private readonly int?[]? _outputShape;

    // Set by OnBuild or later (a shared layer's calls run on copies taken before the build).
    private Tensor[]? _arguments;
    private bool _ranForward;
    private Tensor? _output;
    private Tensor? _lastOutput;
    private Tensor?[]? _inputGradients;

    /// <summary>Creates a Lambda of one input.</summary>
    /// <param name="function">The forward pass: (batch, ...input) -> (batch, ...output). It must keep the batch axis.</param>
    /// <param name="gradient">
    /// The backward pass, <c>(input, output, outputGradient) -&gt; inputGradient</c>, shaped as the input; null when no
    /// gradient needs to flow through the layer (training is then refused if a layer before it has trainable weights).
    /// </param>
    /// <param name="outputShape">Keras' <c>output_shape</c>: the output's per-sample sizes, null where any size is accepted; null to take the shape the function gives.</param>
    /// <param name="name">The layer's name; the model names it <c>lambda</c>, ... when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size of <paramref name="outputShape"/> is not positive.</exception>
    public Lambda(Func<Tensor, Tensor> function, Func<Tensor, Tensor, Tensor, Tensor>? gradient = null, IReadOnlyList<int?>? outputShape = null, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(function);
        _function = function;
        _gradient = gradient;
        _outputShape = CheckedOutputShape(outputShape);
    }

    /// <summary>Creates a Lambda of one or more inputs, whose function takes them as a list (Keras' Lambda called on a list).</summary>
    /// <param name="function">The forward pass: the inputs, in call order, each (batch, ...) -> (batch, ...output).</param>
    /// <param name="gradient">
    /// The backward pass, <c>(inputs, output, outputGradient) -&gt; inputGradients</c>: one entry per input, shaped as it,
    /// or null for an input that gets no gradient; null when no gradient needs to flow through the layer.
    /// </param>
    /// <param name="outputShape">Keras' <c>output_shape</c>: the output's per-sample sizes, null where any size is accepted; null to take the shape the function gives.</param>
    /// <param name="name">The layer's name; the model names it <c>lambda</c>, ... when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size of <paramref name="outputShape"/> is not positive.</exception>
    public Lambda(Func<IReadOnlyList<Tensor>, Tensor> function, Func<IReadOnlyList<Tensor>, Tensor, Tensor, IReadOnlyList<Tensor?>>? gradient = null, IReadOnlyList<int?>? outputShape = null, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(function);
        _listFunction = function;
        _listGradient = gradient;
        _outputShape = CheckedOutputShape(outputShape);
    }

    /// <summary>The forward function: a <see cref="Func{T, TResult}"/> of a tensor, or of the list of inputs.</summary>
    public Delegate Function => (Delegate?)_function ?? _listFunction!;

    /// <summary>The backward function, or null when none was given.</summary>
    public Delegate? Gradient => (Delegate?)_gradient ?? _listGradient;

    /// <summary>Whether the function takes the inputs as a list (the constructor of several inputs).</summary>
    public bool TakesList => _listFunction is not null;

    /// <summary>Keras' <c>output_shape</c> as given (null entries accept any size), or null when none was.</summary>
    public IReadOnlyList<int?>? DeclaredOutputShape => _outputShape;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "lambda";

    /// <inheritdoc/>
    protected override int MaximumInputCount => _function is not null ? 1 : int.MaxValue;

    /// <inheritdoc/>
    /// <remarks>
    /// Keras' keys: <c>function</c> (a registered function's item, holding the gradient function's under <c>"gradient"</c>),
    /// <c>output_shape</c> when given, and <c>arguments</c> (always empty).
    /// </remarks>
    /// <exception cref="NotSupportedException">The function or the gradient function is not registered (<see cref="SerializationRegistry.RegisterFunction"/>).</exception>
    public override Config GetConfig()
    {
        JsonObject function = SerializationRegistry.SerializeFunction(Function, Describe(), "function");
        if (Gradient is Delegate gradient)
        {
            function["gradient"] = SerializationRegistry.SerializeFunction(gradient, Describe(), "gradient");
        }

        Config config = base.GetConfig().Set("function", function);
        if (_outputShape is not null)
        {
            config.Set("output_shape", new JsonArray([.. _outputShape.Select(size => size is int s ? JsonValue.Create(s) : null)]));
        }

        return config.Set("arguments", new JsonObject());
    }

    /// <summary>Keras' <c>from_config</c>, for registered functions only (a Python lambda cannot run here).</summary>
    internal static Lambda FromConfig(Config config)
    {
        string name = config.GetString("name");
        JsonNode item = config.GetNode("function") ?? throw config.Error($"Lambda '{name}': \"function\" is missing.");
        RefusePythonLambda(config, name, item, "function");
        Delegate function = SerializationRegistry.DeserializeFunction<Delegate>(item, config, "function");
        JsonNode? gradientItem = (item as JsonObject)?["gradient"];
        Delegate? gradient = null;
        if (gradientItem is not null)
        {
            RefusePythonLambda(config, name, gradientItem, "function.gradient");
            gradient = SerializationRegistry.DeserializeFunction<Delegate>(gradientItem, config, "function.gradient");
        }

        if (config.Contains("mask"))
        {
            throw config.Error($"Lambda '{name}': \"mask\" is set; NeuralNet's Lambda gives its output no mask. Compute the mask with a layer of your own.");
        }

        if (config.GetNode("arguments") is JsonNode arguments && arguments is not JsonObject { Count: 0 })
        {
            throw config.Error($"Lambda '{name}': \"arguments\" is {FormatError.Shorten(arguments.ToJsonString())}; a C# function takes no keyword arguments, so it must be empty. Bind them in the function instead.");
        }

        int?[]? outputShape = null;
        if (config.GetNode("output_shape") is JsonNode shape)
        {
            outputShape = shape is JsonArray
                ? config.GetNullableInt32Array("output_shape", InputLayer.MaxRank, minimum: 1, skipFirst: false)
                : throw config.Error($"Lambda '{name}': \"output_shape\" is {FormatError.Shorten(shape.ToJsonString())}; expected a list of sizes (a function computing it cannot be read: NeuralNet runs the Lambda's function to learn its shape).");
        }

        return (function, gradient) switch
        {
            (Func<Tensor, Tensor> f, null or Func<Tensor, Tensor, Tensor, Tensor>) => new Lambda(f, gradient as Func<Tensor, Tensor, Tensor, Tensor>, outputShape, name),
            (Func<IReadOnlyList<Tensor>, Tensor> f, null or Func<IReadOnlyList<Tensor>, Tensor, Tensor, IReadOnlyList<Tensor?>>) =>
                new Lambda(f, gradient as Func<IReadOnlyList<Tensor>, Tensor, Tensor, IReadOnlyList<Tensor?>>, outputShape, name),
            (Func<Tensor, Tensor> or Func<IReadOnlyList<Tensor>, Tensor>, _) => throw config.Error(
                $"Lambda '{name}': the gradient function is a {gradient!.GetType().Name}, which does not fit its function, a {function.GetType().Name}; expected a Func<Tensor, Tensor, Tensor, Tensor> for a Func<Tensor, Tensor>, or a Func<IReadOnlyList<Tensor>, Tensor, Tensor, IReadOnlyList<Tensor?>> for a Func<IReadOnlyList<Tensor>, Tensor>."),
            _ => throw config.Error(
                $"Lambda '{name}': the function is registered as a {function.GetType().Name}; a Lambda's function is a Func<Tensor, Tensor> or a Func<IReadOnlyList<Tensor>, Tensor>."),
        };
    }

    // Keras' safe mode refuses a Python lambda too; NeuralNet cannot run one at all. Named here, the layer in the message.
    private static void RefusePythonLambda(Config config, string name, JsonNode item, string key)
    {
        if (item is JsonObject obj && obj["class_name"] is JsonValue className && className.ToJsonString() == "\"__lambda__\"")
        {
            throw config.Error(
                $"Lambda '{name}': \"{key}\" is a Python lambda, which only Python can run (and Keras only with safe_mode=False). Give the Lambda a named function, registered in Keras with register_keras_serializable and here, under the same name, with SerializationRegistry.RegisterFunction.");
        }
    }

    /// <inheritdoc/>
    internal override bool LacksInputGradient => Gradient is null;

    /// <inheritdoc/>
    internal override string InputGradientUnavailable(string method, Layer? trainableBefore) => trainableBefore is not null
        ? $"{Describe()} has no gradient function, but {method} needs the gradient with respect to its {InputsWord}: {trainableBefore} before it has trainable weights. NeuralNet has no automatic differentiation: pass gradient: to the Lambda, or freeze the layers before it (Trainable = false)."
        : $"{Describe()} has no gradient function, but {method} needs the gradient with respect to its {InputsWord}: the model computes gradients with respect to its inputs (ComputesInputGradients is on), and nothing before the Lambda has trainable weights. NeuralNet has no automatic differentiation: pass gradient: to the Lambda, or set ComputesInputGradients = false.";

    // The refusal of a backward pass asked of the layer itself (Layer.Backward, or a wrapper running it), which always
    // returns the input gradient: no layer before it is to blame.
    private string NoGradientFunction() =>
        $"{Describe()} has no gradient function, so Backward cannot compute the gradient with respect to its {InputsWord} (NeuralNet has no automatic differentiation): pass gradient: to the Lambda.";

    private string InputsWord => InputShapes.Count == 1 ? "input" : "inputs";

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        var zeros = new Tensor[inputShapes.Length];
        for (int i = 0; i < zeros.Length; i++)
        {
            zeros[i] = new Tensor(inputShapes[i].Prepend(ProbeBatch));
        }

        Tensor result;
        try
        {
            result = Invoke(zeros);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new ArgumentException(
                $"{Describe()}: the function failed on zeros shaped as its input{(zeros.Length == 1 ? string.Empty : "s")} ({Shapes(zeros)}), which the layer runs it on when built to learn its output shape: {e.Message}",
                nameof(inputShapes), e);
        }

        if (result is null || result.Rank < 2 || result.Shape[0] != ProbeBatch)
        {
            throw new ArgumentException(
                $"{Describe()}: the function returned {result?.Shape.ToString() ?? "null"} for {Shapes(zeros)}; it must return a tensor of the same batch size with at least one axis per sample, such as ({ProbeBatch}, 1) for one value per sample.",
                nameof(inputShapes));
        }

        TensorShape output = result.Shape.DropFirst();
        if (_outputShape is not null && !Fits(output, _outputShape))
        {
            throw new ArgumentException(
                $"{Describe()} was given output_shape {FormatDeclared(_outputShape)} but its function gives {output.ToBatchString()} for input{(zeros.Length == 1 ? string.Empty : "s")} {string.Join(", ", inputShapes.ToArray().Select(s => s.ToBatchString()))}.",
                nameof(inputShapes));
        }

        _arguments = new Tensor[inputShapes.Length];
        _inputGradients = new Tensor?[inputShapes.Length];
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        int batch = inputs[0].Shape[0];
        _ranForward = false;
        Tensor result = Invoke(inputs);
        if (result is null || result.Rank != OutputShape.Rank + 1 || result.Shape[0] != batch || !result.Shape.Dimensions[1..].SequenceEqual(OutputShape.Dimensions))
        {
            throw new InvalidOperationException(
                $"{Describe()}: the function returned {result?.Shape.ToString() ?? "null"} for {Shapes(inputs)}; expected {OutputShape.Prepend(batch)}, the batch size kept and the per-sample shape {OutputShape.ToBatchString()} it gave when the layer was built.");
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        if (!ReferenceEquals(result, output))
        {
            result.CopyTo(output);
        }

        _ranForward = true;
        _lastOutput = output;
        return output;
    }

    /// <inheritdoc/>
    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        int batch = outputGradient.Shape[0];
        CheckForwardRan(_ranForward ? _arguments![0] : null, outputGradient);
        if (!ComputesInputGradient)
        {
            return;
        }

        if (Gradient is null)
        {
            throw new InvalidOperationException(NoGradientFunction());
        }

        Tensor output = _lastOutput!;
        if (_gradient is not null)
        {
            Tensor? gradient = _gradient(_arguments![0], output, outputGradient);
            inputGradients[0] = OwnedGradient(gradient ?? throw new InvalidOperationException(
                $"{Describe()}: the gradient function returned null; it must return the gradient with respect to the input, {InputShapes[0].Prepend(batch)}."), 0, batch);
            return;
        }

        IReadOnlyList<Tensor?> gradients = _listGradient!(_arguments!, output, outputGradient);
        if (gradients is null || gradients.Count != _arguments!.Length)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: the gradient function returned {(gradients is null ? "null" : $"{gradients.Count} gradient(s)")} for {_arguments!.Length} input(s); it must return one per input (null for an input that gets none)."));
        }

        for (int i = 0; i < gradients.Count; i++)
        {
            inputGradients[i] = gradients[i] is Tensor gradient ? OwnedGradient(gradient, i, batch) : null;
        }
    }

    // The function on the inputs, through the list the layer keeps (a shared layer's copies have their own).
    private Tensor Invoke(ReadOnlySpan<Tensor> inputs)
    {
        if (_function is not null)
        {
            if (_arguments is not null)
            {
                _arguments[0] = inputs[0];
            }

            return _function(inputs[0]);
        }

        Tensor[] arguments = _arguments ?? inputs.ToArray();
        inputs.CopyTo(arguments);
        return _listFunction!(arguments);
    }

    // The gradient function's result for input i, checked and copied into a buffer of the layer's.
    private Tensor OwnedGradient(Tensor gradient, int input, int batch)
    {
        TensorShape expected = InputShapes[input].Prepend(batch);
        if (gradient.Shape != expected)
        {
            string which = _arguments!.Length == 1 ? "input" : string.Create(CultureInfo.InvariantCulture, $"input {input}");
            throw new InvalidOperationException($"{Describe()}: the gradient function returned {gradient.Shape} for {which}; expected {expected}, the input's shape.");
        }

        Tensor owned = BatchView(ref _inputGradients![input], batch, InputShapes[input]);
        if (!ReferenceEquals(gradient, owned))
        {
            gradient.CopyTo(owned);
        }

        return owned;
    }

    private static int?[]? CheckedOutputShape(IReadOnlyList<int?>? outputShape)
    {
        if (outputShape is null)
        {
            return null;
        }

        for (int i = 0; i < outputShape.Count; i++)
        {
            if (outputShape[i] is int size && size < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(outputShape), size, string.Create(CultureInfo.InvariantCulture,
                    $"Lambda output_shape[{i}] is {size}; sizes must be positive (or null to accept any)."));
            }
        }

        return [.. outputShape];
    }

    private static bool Fits(TensorShape shape, int?[] declared)
    {
        if (shape.Rank != declared.Length)
        {
            return false;
        }

        for (int a = 0; a < declared.Length; a++)
        {
            if (declared[a] is int size && size != shape[a])
            {
                return false;
            }
        }

        return true;
    }

    private static string FormatDeclared(int?[] declared) =>
        "(None" + string.Concat(declared.Select(size => ", " + (size is int s ? s.ToString(CultureInfo.InvariantCulture) : "None"))) + ")";

    private static string Shapes(ReadOnlySpan<Tensor> tensors)
    {
        var parts = new string[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            parts[i] = tensors[i].Shape.ToString();
        }

        return string.Join(", ", parts);
    }
}
