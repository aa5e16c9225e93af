using System.Diagnostics.CodeAnalysis;

namespace NeuralNet.Serialization;

/// <summary>
/// The tensors and metadata read from a safetensors file by <see cref="SafeTensors.Load"/> or <see cref="SafeTensors.Read"/>.
/// </summary>
/// <remarks>
/// Every tensor is converted to float32 on reading (F32 is copied as is; F64, F16, BF16 and the integer and boolean
/// types are converted). The tensors belong to the caller: nothing else keeps a reference to them.
/// </remarks>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, Tensor> _tensors;
    private readonly string[] _names;

    internal SafeTensorsFile(string source, string[] names, Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        Source = source;
        _names = names;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file path or stream description the tensors came from.</summary>
    public string Source { get; }

    /// <summary>The tensor names, in the order of their data in the file.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The number of tensors.</summary>
    public int Count => _names.Length;

    /// <summary>The <c>__metadata__</c> string pairs (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor; the message lists what it has.</exception>
    public Tensor this[string name] => TryGetTensor(name, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"'{Source}' has no tensor '{name}'. It has: {string.Join(", ", _names.Take(20))}{(_names.Length > 20 ? ", ..." : string.Empty)}.");

    /// <summary>Whether the file has a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>Gets the tensor named <paramref name="name"/>, if the file has one.</summary>
    public bool TryGetTensor(string name, [MaybeNullWhen(false)] out Tensor tensor) => _tensors.TryGetValue(name, out tensor);
}
