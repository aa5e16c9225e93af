using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace NeuralNet.Models;

/// <summary>
/// The tensors given to a model for its inputs, or for its targets: one tensor (a model with one input or output),
/// several in the model's order (<c>[xImages, xMetadata]</c>), or a dictionary by name (input names, or the names of
/// the layers that produce the outputs), as Keras' <c>fit</c> takes them. Converts implicitly from each of these.
/// </summary>
/// <example>
/// <code>
/// model.Fit(x, y);                                                   // one input, one output
/// model.Fit([xImages, xMetadata], y);                                // inputs in order
/// model.Fit(new Dictionary&lt;string, Tensor&gt; { ["image"] = xImages, ["metadata"] = xMetadata },
///           new Dictionary&lt;string, Tensor&gt; { ["digit"] = yDigit, ["parity"] = yParity });
/// </code>
/// </example>
[CollectionBuilder(typeof(ModelData), nameof(Create))]
public readonly struct ModelData : IEnumerable<Tensor>
{
    private readonly Tensor[]? _list;
    private readonly IReadOnlyDictionary<string, Tensor>? _byName;

    private ModelData(Tensor[]? list, IReadOnlyDictionary<string, Tensor>? byName)
    {
        _list = list;
        _byName = byName;
    }

    /// <summary>The number of tensors.</summary>
    public int Count => _list?.Length ?? _byName?.Count ?? 0;

    /// <summary>Whether the tensors are keyed by name.</summary>
    public bool IsByName => _byName is not null;

    /// <summary>One tensor.</summary>
    public static implicit operator ModelData(Tensor tensor) => FromTensor(tensor);

    /// <summary>Several tensors, in the model's order.</summary>
    public static implicit operator ModelData(Tensor[] tensors) => FromList(tensors);

    /// <summary>Several tensors, in the model's order.</summary>
    public static implicit operator ModelData(List<Tensor> tensors) => FromList(tensors);

    /// <summary>Tensors by name.</summary>
    public static implicit operator ModelData(Dictionary<string, Tensor> tensors) => FromDictionary(tensors);

    /// <summary>
    /// One tensor that may be null, for an optional argument such as <c>sampleWeight</c>: null gives no data (null), as a
    /// <c>Tensor?</c> variable passed there means.
    /// </summary>
    public static implicit operator ModelData?(Tensor? tensor) => tensor is null ? (ModelData?)null : FromTensor(tensor);

    /// <summary>One tensor.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    public static ModelData FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new ModelData([tensor], null);
    }

    /// <summary>Several tensors, in the model's order (a copy of the list is kept).</summary>
    /// <exception cref="ArgumentNullException">The list or one of its tensors is null.</exception>
    public static ModelData FromList(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Tensor[] copy = [.. tensors];
        foreach (Tensor tensor in copy)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
        }

        return new ModelData(copy, null);
    }

    /// <summary>Tensors by input name or output name (a copy of the dictionary is kept).</summary>
    /// <exception cref="ArgumentNullException">The dictionary or one of its tensors is null.</exception>
    public static ModelData FromDictionary(IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach ((string name, Tensor tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            copy[name] = tensor;
        }

        return new ModelData(null, copy);
    }

    /// <summary>The collection-expression builder: <c>[a, b]</c> is <see cref="FromList"/>.</summary>
    public static ModelData Create(ReadOnlySpan<Tensor> tensors) => FromList(tensors.ToArray());

    /// <summary>The tensors, in the model's order or in the dictionary's order.</summary>
    public IEnumerator<Tensor> GetEnumerator() => ((IEnumerable<Tensor>?)_list ?? _byName?.Values ?? []).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The tensors with their names (null when given in order), in the order given.</summary>
    internal IEnumerable<(string? Key, Tensor? Tensor)> Labeled() =>
        _byName is not null ? _byName.Select(p => ((string?)p.Key, (Tensor?)p.Value)) : (_list ?? []).Select(t => ((string?)null, (Tensor?)t));

    /// <summary>
    /// The tensors when given as a list of <paramref name="count"/>, else null (then <see cref="Resolve"/> checks and matches
    /// them by name): the allocation-free path of a custom loop's every step, which needs no model names.
    /// </summary>
    internal Tensor[]? ListOf(int count) => _byName is null && _list is not null && _list.Length == count ? _list : null;

    /// <summary>The tensor named <paramref name="name"/> when the tensors are keyed by name; false otherwise.</summary>
    internal bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tensor? tensor)
    {
        tensor = null;
        return _byName is not null && _byName.TryGetValue(name, out tensor);
    }

    /// <summary>
    /// The tensors in the order of <paramref name="names"/>: a list must have one tensor per name; a dictionary must have
    /// exactly those keys. Messages name <paramref name="what"/> (<c>input</c>, <c>target</c>) and <paramref name="parameterName"/>.
    /// </summary>
    /// <param name="names">The model's names, distinct.</param>
    /// <param name="modelName">The model's name, for messages.</param>
    /// <param name="what">What the tensors are, for messages.</param>
    /// <param name="parameterName">The parameter they came in.</param>
    /// <param name="into">An array of <paramref name="names"/>' length to fill with a dictionary's tensors (a custom loop's
    /// warm step then allocates nothing), or null for a new one.</param>
    internal Tensor[] Resolve(IReadOnlyList<string> names, string modelName, string what, string parameterName, Tensor[]? into = null)
    {
        // Built only for a message: a custom loop's Forward and Backward resolve their data every step, allocation-free.
        string Expected() => string.Join(", ", names.Select(n => $"'{n}'"));
        if (_byName is null)
        {
            if (_list is null)
            {
                throw new ArgumentNullException(parameterName, $"No {what} tensors were given; model '{modelName}' expects {names.Count} ({Expected()}).");
            }

            if (_list.Length != names.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Model '{modelName}' has {names.Count} {what}(s) ({Expected()}) but {_list.Length} {what} tensor(s) were given."), parameterName);
            }

            return _list;
        }

        Tensor[] result = into is not null && into.Length == names.Count ? into : new Tensor[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            if (!_byName.TryGetValue(names[i], out Tensor? tensor))
            {
                Array.Clear(result);
                throw new ArgumentException($"No {what} tensor named '{names[i]}' was given; model '{modelName}' expects {Expected()}, and the dictionary has {string.Join(", ", _byName.Keys.Select(k => $"'{k}'"))}.", parameterName);
            }

            result[i] = tensor;
        }

        // Every name was found and the names are distinct: a key matches none exactly when there are more keys than names.
        if (_byName.Count != names.Count)
        {
            foreach (string key in _byName.Keys)
            {
                if (!names.Contains(key))
                {
                    Array.Clear(result);
                    throw new ArgumentException($"The {what} tensor '{key}' matches no {what} of model '{modelName}' ({Expected()}).", parameterName);
                }
            }
        }

        return result;
    }
}
