using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// The second pass of an import: the checked plan's steps call NeuralNet layers on symbolic tensors, and the weights
/// they list are copied in once the model exists (its layers' parameters are created by the model).
/// </summary>
internal sealed class ImportBuild
{
    private readonly Dictionary<string, SymbolicTensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SymbolicTensor> _channelsFirst = new(StringComparer.Ordinal);
    private readonly List<(Layer Layer, string Parameter, float[] Values)> _weights = [];

    private readonly Dictionary<string, Func<ImportBuild, SymbolicTensor>> _onDemand = new(StringComparer.Ordinal);

    public SymbolicTensor this[ImportedValue onnx]
    {
        get
        {
            if (!_tensors.TryGetValue(onnx.Name, out SymbolicTensor? tensor) && _onDemand.Remove(onnx.Name, out Func<ImportBuild, SymbolicTensor>? build))
            {
                tensor = build(this);
                _tensors[onnx.Name] = tensor;
            }

            return tensor ?? throw new InvalidOperationException($"The import planned no tensor for '{onnx.Name}'.");
        }

        set => _tensors[onnx.Name] = value;
    }

    /// <summary>Records how to build <paramref name="onnx"/>, which is built the first time it is read (never, if nothing reads it).</summary>
    public void OnDemand(ImportedValue onnx, Func<ImportBuild, SymbolicTensor> build) => _onDemand[onnx.Name] = build;

    /// <summary>
    /// <paramref name="value"/> in ONNX's element order: a channels-last image permuted to (C, H, W) once, however many
    /// nodes read it that way; other values as they are (and an image of one pixel, whose orders coincide).
    /// </summary>
    public SymbolicTensor InOnnxOrder(ImportedValue value)
    {
        if (!value.IsImage || (value.Dims[2] == 1 && value.Dims[3] == 1))
        {
            return this[value];
        }

        if (!_channelsFirst.TryGetValue(value.Name, out SymbolicTensor? permuted))
        {
            permuted = new Permute(3, 1, 2).Call(this[value]);
            _channelsFirst[value.Name] = permuted;
        }

        return permuted;
    }

    /// <summary>A tensor in ONNX's element order with ONNX dims <paramref name="dims"/>, laid out as NeuralNet holds it (an image channels last).</summary>
    public static SymbolicTensor FromOnnxOrder(SymbolicTensor tensor, long[] dims) =>
        dims.Length == 4 && !(dims[2] == 1 && dims[3] == 1) ? new Permute(2, 3, 1).Call(tensor) : tensor;

    /// <summary>
    /// <paramref name="tensor"/> permuted by <paramref name="dims"/> (Keras' Permute, batch axis not counted), or, where
    /// <paramref name="tensor"/> is itself a Permute's output that this one undoes, that Permute's input: two cancelling
    /// Permutes (a sequence turned (N, L, C) for a Conv1D or Conv1DTranspose, then back for the next) leave no layer.
    /// </summary>
    public static SymbolicTensor Permuted(SymbolicTensor tensor, params int[] dims)
    {
        if (tensor.Layer is Permute previous && previous.Dims.Count == dims.Length
            && dims.Select((d, i) => previous.Dims[d - 1] == i + 1).All(same => same))
        {
            return tensor.InboundTensors[0];
        }

        return new Permute(dims).Call(tensor);
    }

    /// <summary>Records that parameter <paramref name="parameter"/> of <paramref name="layer"/> takes <paramref name="values"/> (in its layout).</summary>
    public void Weight(Layer layer, string parameter, float[] values) => _weights.Add((layer, parameter, values));

    /// <summary>Copies every recorded weight into the built layers.</summary>
    public void AssignWeights()
    {
        foreach ((Layer layer, string name, float[] values) in _weights)
        {
            Parameter parameter = layer.Parameters.Single(p => p.Name == name);
            if (parameter.Value.Length != values.Length)
            {
                // The plan computed the shapes the layers were built for; a mismatch is an importer bug, not the file's.
                throw new InvalidOperationException($"{layer.Name}/{name} holds {parameter.Value.Length} values but the import planned {values.Length}.");
            }

            values.CopyTo(parameter.Value.AsSpan());
        }
    }
}
