namespace NeuralNet.Data;

/// <summary>
/// The categories of one categorical column. A fixed vocabulary (given by the caller, or collected by a first pass)
/// maps values straight to their final ids; an open one numbers values as they appear and is sorted ordinally by
/// <see cref="Seal"/>, which returns how to renumber the ids handed out so far.
/// </summary>
internal sealed class CsvVocabulary
{
    private readonly Dictionary<string, int> _ids;
    private readonly List<string> _values;

    /// <summary>The largest vocabulary an id stored in a float can index exactly (2^24).</summary>
    public const int MaxCount = 1 << 24;

    public CsvVocabulary(IReadOnlyList<string>? fixedValues)
    {
        IsFixed = fixedValues is not null;
        _values = fixedValues is null ? [] : [.. fixedValues];
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _values.Count; i++)
        {
            _ids.Add(_values[i], i);
        }
    }

    /// <summary>Whether ids are final and unknown values are errors.</summary>
    public bool IsFixed { get; private set; }

    /// <summary>The categories in id order (in order of appearance while open).</summary>
    public IReadOnlyList<string> Values => _values;

    /// <summary>The id of <paramref name="value"/>, adding it while open; -1 for a value outside a fixed vocabulary or beyond <see cref="MaxCount"/>.</summary>
    public int GetOrAdd(string value)
    {
        if (_ids.TryGetValue(value, out int id))
        {
            return id;
        }

        if (IsFixed || _values.Count >= MaxCount)
        {
            return -1;
        }

        id = _values.Count;
        _ids.Add(value, id);
        _values.Add(value);
        return id;
    }

    /// <summary>Fixes the vocabulary; an open one is sorted ordinally. Returns the new id of each id handed out before.</summary>
    public int[] Seal()
    {
        int[] remap = new int[_values.Count];
        if (IsFixed)
        {
            for (int i = 0; i < remap.Length; i++)
            {
                remap[i] = i;
            }

            return remap;
        }

        string[] sorted = [.. _values];
        Array.Sort(sorted, StringComparer.Ordinal);
        for (int i = 0; i < sorted.Length; i++)
        {
            remap[_ids[sorted[i]]] = i;
        }

        _values.Clear();
        _values.AddRange(sorted);
        _ids.Clear();
        for (int i = 0; i < sorted.Length; i++)
        {
            _ids.Add(sorted[i], i);
        }

        IsFixed = true;
        return remap;
    }
}
