using System.Globalization;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// The first pass of an import: every node is checked and its output shapes worked out, and what builds its layers is
/// queued as a step, so that anything refused is refused before a layer exists.
/// </summary>
internal sealed class ImportGraph(string source, int opset, IReadOnlyDictionary<string, int> consumers, IReadOnlyDictionary<string, List<string>> readers)
{
    private readonly Dictionary<string, ImportedValue> _values = new(StringComparer.Ordinal);
    private readonly List<Action<ImportBuild>> _steps = [];

    public string Source { get; } = source;

    /// <summary>The default domain's opset the file imports.</summary>
    public int Opset { get; } = opset;

    /// <summary>The batch length the file fixes on its inputs, if it fixes one: a Reshape to it reshapes the batch axis.</summary>
    public long? FixedBatch { get; set; }

    public IReadOnlyList<Action<ImportBuild>> Steps => _steps;

    /// <summary>How many node inputs and graph outputs read <paramref name="value"/>.</summary>
    public int Consumers(ImportedValue value) => consumers.GetValueOrDefault(value.Name);

    /// <summary>Whether value <paramref name="name"/> is read, and only by nodes of the operators <paramref name="ops"/> (not as a graph output).</summary>
    public bool ReadOnlyBy(string name, params string[] ops) => readers.TryGetValue(name, out List<string>? r) && r.Count > 0 && r.All(ops.Contains);

    public bool TryGet(string name, out ImportedValue value) => _values.TryGetValue(name, out value!);

    /// <summary>Adds a constant or graph input, or the value of <paramref name="node"/>.</summary>
    /// <exception cref="InvalidDataException">A value of that name exists already: ONNX graphs assign each name once.</exception>
    public void Add(ImportedValue value, ImportedNode? node = null)
    {
        if (!_values.TryAdd(value.Name, value))
        {
            throw new InvalidDataException($"ONNX file '{Source}': {(node is null ? string.Empty : $"{node.Description}: ")}value '{value.Name}' is defined twice (ONNX graphs assign each name once).");
        }
    }

    /// <summary>Input <paramref name="index"/> of <paramref name="node"/>, null when absent or left empty (ONNX's optional inputs).</summary>
    /// <exception cref="InvalidDataException">The input names a value no initializer, graph input or earlier node gives.</exception>
    public ImportedValue? Optional(ImportedNode node, int index)
    {
        if (index >= node.Proto.Input.Count || node.Proto.Input[index].Length == 0)
        {
            return null;
        }

        ImportedValue value = Known(node, index);
        return value.Folded is { DependsOnBatch: true }
            ? throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"input {index} '{value.Name}' depends on the batch length (it is computed from a Shape); NeuralNet.Onnx evaluates shape arithmetic at import and takes the batch length only as the first entry of a Reshape's shape"))
            : value;
    }

    /// <summary>The value at input <paramref name="index"/> (present), a batch-dependent folded value included (a Reshape's shape, the operands of shape arithmetic).</summary>
    public ImportedValue Known(ImportedNode node, int index)
    {
        string name = node.Proto.Input[index];
        return _values.TryGetValue(name, out ImportedValue? value)
            ? value
            : throw node.Invalid($"input {index} '{name}' is given by no initializer, graph input or earlier node (ONNX lists nodes in topological order)");
    }

    /// <summary>A tensor computed by the graph at input <paramref name="index"/>; <paramref name="what"/> names the input ("the data").</summary>
    public ImportedValue Computed(ImportedNode node, int index, string what)
    {
        ImportedValue value = Optional(node, index) ?? throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"input {index} ({what}) is missing"));
        return value.Constant is null ? value : throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
            $"input {index} ({what}) '{value.Name}' is a constant; NeuralNet.Onnx imports this operator on tensors the graph computes (it evaluates only shape arithmetic and Add, Sub, Mul, Div of constants at import)"));
    }

    /// <summary>A constant (initializer or Constant node) at input <paramref name="index"/>.</summary>
    public OnnxConstant Constant(ImportedNode node, int index, string what)
    {
        ImportedValue value = Optional(node, index) ?? throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"input {index} ({what}) is missing"));
        return value.Constant ?? throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
            $"input {index} ({what}) '{value.Name}' is computed by the graph; NeuralNet.Onnx imports it only as a constant (an initializer or a Constant node)"));
    }

    /// <summary>An (N, C, H, W) image the graph computes at input <paramref name="index"/>, held channels last.</summary>
    public ImportedValue Image(ImportedNode node, int index, string what)
    {
        ImportedValue value = Computed(node, index, what);
        return value.IsImage ? value
            : value.Rank == 4 ? throw node.Refuse($"input {index} ({what}) '{value.Name}' {ImportText.Dims(value.Dims)} is held in ONNX's order, not as a channels-first image (as after a Transpose, or when made from a value of another rank); NeuralNet.Onnx imports {node.OpType} on (N, C, H, W) images")
            : throw node.Refuse($"input {index} ({what}) has dimensions {ImportText.Dims(value.Dims)}; NeuralNet.Onnx imports {node.OpType} on (N, C, H, W) images (2-D)");
    }

    /// <summary>Refuses <paramref name="node"/> when its operator is newer than the file's opset (ONNX Runtime would not load the file either).</summary>
    public void RequireOpset(ImportedNode node, int since)
    {
        if (Opset < since)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"{node.OpType} is an operator of opset {since} and later, but the file imports opset {Opset}"));
        }
    }

    /// <summary>Checks that <paramref name="node"/> uses only its first <paramref name="count"/> outputs (ONNX's optional outputs, such as MaxPool's indices, left empty).</summary>
    public void RequireOutputs(ImportedNode node, int count = 1)
    {
        if (node.Proto.Output.Count < count || node.Proto.Output[0].Length == 0)
        {
            throw node.Invalid("its output is missing");
        }

        for (int i = count; i < node.Proto.Output.Count; i++)
        {
            if (node.Proto.Output[i].Length > 0)
            {
                throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"output {i} '{node.Proto.Output[i]}' is not imported; NeuralNet.Onnx computes only this operator's first output"));
            }
        }
    }

    /// <summary>
    /// Defines the node's output as a computed tensor of ONNX dims <paramref name="dims"/>, built by <paramref name="build"/>;
    /// held channels last when <paramref name="image"/> (by default, when of rank 4). Element-wise nodes pass their input's layout on.
    /// </summary>
    public ImportedValue Define(ImportedNode node, long[] dims, Func<ImportBuild, SymbolicTensor> build, bool? image = null)
    {
        RequireOutputs(node);
        CheckDims(node, dims);
        var value = ImportedValue.Computed(node.Proto.Output[0], dims, image);
        Add(value, node);
        _steps.Add(b => b[value] = build(b));
        return value;
    }

    /// <summary>
    /// As <see cref="Define"/>, but the layers are built only if something reads the value: a Squeeze or Unsqueeze whose
    /// only reader cancels it (an Unsqueeze then a Squeeze of the same axis) leaves no layer.
    /// </summary>
    public ImportedValue DefineOnDemand(ImportedNode node, long[] dims, Func<ImportBuild, SymbolicTensor> build, bool? image = null)
    {
        RequireOutputs(node);
        CheckDims(node, dims);
        var value = ImportedValue.Computed(node.Proto.Output[0], dims, image);
        Add(value, node);
        _steps.Add(b => b.OnDemand(value, build));
        return value;
    }

    /// <summary>
    /// Defines every output of <paramref name="node"/> (none left empty), output i of ONNX dims <paramref name="dims"/>[i],
    /// as the outputs of one layer call <paramref name="build"/> makes, in the layout <paramref name="image"/> says.
    /// </summary>
    public ImportedValue[] DefineOutputs(ImportedNode node, long[][] dims, Func<ImportBuild, SymbolicTensor[]> build, bool image)
    {
        if (node.Proto.Output.Count != dims.Length || node.Proto.Output.Any(o => o.Length == 0))
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"it names {node.Proto.Output.Count(o => o.Length > 0)} of its {dims.Length} outputs"));
        }

        ImportedValue[] values = new ImportedValue[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            CheckDims(node, dims[i]);
            values[i] = ImportedValue.Computed(node.Proto.Output[i], dims[i], image);
            Add(values[i], node);
        }

        _steps.Add(b =>
        {
            SymbolicTensor[] outputs = build(b);
            for (int i = 0; i < values.Length; i++)
            {
                b[values[i]] = outputs[i];
            }
        });
        return values;
    }

    private static void CheckDims(ImportedNode node, long[] dims)
    {
        if (dims.Skip(1).Any(d => d <= 0))
        {
            throw node.Refuse($"its output would have dimensions {ImportText.Dims(dims)}; NeuralNet layers need a length of at least 1 on every axis");
        }

        // Rank 5 is a volume (N, C, D, H, W), held in ONNX's order as sequences are (a Conv3DTranspose reads it through Permutes).
        if (dims.Length is < 2 or > 5)
        {
            throw node.Refuse($"its output has dimensions {ImportText.Dims(dims)}; NeuralNet.Onnx imports tensors of rank 2 to 5 (a batch axis and 1 to 4 more)");
        }

        if (ImportSizes.Product(dims.Skip(1)) is null)
        {
            throw node.Invalid($"its output would have dimensions {ImportText.Dims(dims)}, more than 2147483647 values per sample");
        }
    }

    /// <summary>Makes the node's output the same tensor as <paramref name="value"/> (Identity, a Dropout at rate 0, a no-op Reshape).</summary>
    public void Alias(ImportedNode node, ImportedValue value) => Alias(node, value, value.Dims, value.IsImage);

    /// <summary>Makes the node's output, of ONNX dims <paramref name="dims"/>, the same NeuralNet tensor as <paramref name="value"/>, read in the layout <paramref name="image"/> says (a Transpose that NeuralNet's layout absorbs).</summary>
    public void Alias(ImportedNode node, ImportedValue value, long[] dims, bool image)
    {
        RequireOutputs(node);
        string name = node.Proto.Output[0];
        if (value.Folded is not null)
        {
            Add(ImportedValue.FromConstant(name, value.Folded), node);
            return;
        }

        var alias = ImportedValue.Computed(name, dims, image);
        Add(alias, node);
        _steps.Add(b => b[alias] = b[value]);
    }
}
