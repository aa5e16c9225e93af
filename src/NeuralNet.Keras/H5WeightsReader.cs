using System.Globalization;
using PureHDF;

namespace NeuralNet.Keras;

/// <summary>Reads the variables of a Keras weights file (HDF5): float datasets by path, as Keras' <c>H5IOStore</c> reads them.</summary>
internal sealed class H5WeightsReader : IDisposable
{
    // Keras 2.13 wrote the layer list under this name; Keras 3's H5Entry reads such files by renaming "layers".
    private const string LegacyLayers = "_layer_checkpoint_dependencies";

    private readonly IH5Group _file;
    private readonly IDisposable _owner;
    private readonly bool _legacy;

    private H5WeightsReader(IH5Group file, IDisposable owner, string source)
    {
        (_file, _owner, Source) = (file, owner, source);
        _legacy = !file.LinkExists("layers") && file.LinkExists(LegacyLayers);
    }

    /// <summary>Where the file came from, for messages.</summary>
    public string Source { get; }

    /// <summary>Opens an HDF5 file held in a seekable stream (disposed with the reader unless <paramref name="leaveOpen"/>).</summary>
    /// <exception cref="InvalidDataException">The stream is not an HDF5 file.</exception>
    public static H5WeightsReader Open(Stream stream, string source, bool leaveOpen = false)
    {
        try
        {
            using var guard = StackGuardCulture.Enter();
            var file = H5File.Open(stream, leaveOpen);
            return new H5WeightsReader(file, file, source);
        }
        catch (Exception ex) // An OutOfMemoryException too: see Structure.
        {
            if (!leaveOpen)
            {
                stream.Dispose();
            }

            throw new InvalidDataException($"{source}: cannot be read as an HDF5 file ({ex.Message}).", ex);
        }
    }

    /// <summary>
    /// The path as it is in this file: Keras 2.13's files keep the layers under another group name, and files of early
    /// Keras 3 releases may keep MultiHeadAttention's projections under their private attribute names (<c>_query_dense</c>).
    /// </summary>
    public string Resolve(string path)
    {
        string resolved = _legacy ? path.Replace("layers", LegacyLayers, StringComparison.Ordinal) : path;
        if (!Exists(resolved))
        {
            string[] parts = resolved.Split('/');
            for (int i = 0; i < parts.Length; i++)
            {
                if (parts[i] is "query_dense" or "key_dense" or "value_dense" or "output_dense" or "gate_dense")
                {
                    parts[i] = "_" + parts[i];
                }
            }

            string privateNames = string.Join('/', parts);
            if (Exists(privateNames))
            {
                return privateNames;
            }
        }

        return resolved;
    }

    /// <summary>Every dataset path under the group <paramref name="root"/> (none when it is missing), sorted.</summary>
    /// <exception cref="InvalidDataException">The file holds more than a million objects there, or links them too deep.</exception>
    public List<string> DatasetPaths(string root)
    {
        var paths = new List<string>();
        using var guard = StackGuardCulture.Enter();
        if (Exists(root) && Structure(root, () => Get(root)) is IH5Group group)
        {
            int visits = 0;
            Structure(root, () => Walk(group, root + "/", paths, depth: 0, ref visits));
        }

        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    /// <summary>The shape of the dataset at <paramref name="path"/> (a path <see cref="Resolve"/> gave), or null when there is no dataset there or its shape does not fit a <see cref="TensorShape"/>.</summary>
    public TensorShape? ShapeOf(string path)
    {
        if (DimensionsOf(path) is not ulong[] dimensions)
        {
            return null;
        }

        // As TensorShape takes them: a first dimension of 0 or more, positive others, no more elements than an array holds
        // (a damaged dataspace can say anything).
        bool fits = dimensions.Select((d, i) => d <= int.MaxValue && (d > 0 || i == 0)).All(ok => ok)
            && dimensions.Aggregate(1.0, (count, d) => count * d) <= Array.MaxLength;
        return fits ? new TensorShape([.. dimensions.Select(d => (int)d)]) : null;
    }

    /// <summary>The dimensions the dataspace of the dataset at <paramref name="path"/> (a path <see cref="Resolve"/> gave) says, whatever they are, or null when there is no dataset there.</summary>
    public ulong[]? DimensionsOf(string path) =>
        Exists(path) && Structure(path, () => Get(path)) is IH5Dataset dataset ? Structure(path, () => dataset.Space.Dimensions) : null;

    /// <summary>The dimensions <see cref="DimensionsOf"/> gives, for messages, as <see cref="TensorShape"/> prints a shape ("(4, 0)", "(3,)"), or "(no dataset)".</summary>
    public string FormatShapeOf(string path) => DimensionsOf(path) switch
    {
        null => "(no dataset)",
        [ulong only] => $"({only},)",
        ulong[] dimensions => $"({string.Join(", ", dimensions)})",
    };

    /// <summary>
    /// Reads the dataset at <paramref name="path"/> (a path <see cref="Resolve"/> gave) as float32 values, or explains why
    /// it cannot: missing, not of <paramref name="expected"/>'s shape (checked before anything is read), or of a type other
    /// than float32, float64 or (with <paramref name="allowInteger"/>) a whole number. A wrong shape is reported against
    /// <paramref name="expectedName"/> ("the parameter", or what else the dataset should hold).
    /// </summary>
    public bool TryRead(string path, TensorShape expected, bool allowInteger, out float[] values, out string problem, string expectedName = "the parameter")
    {
        (values, problem) = ([], string.Empty);
        if (!Exists(path))
        {
            problem = "is missing";
            return false;
        }

        bool readingValues = false;
        try
        {
            if (Get(path) is not IH5Dataset dataset)
            {
                problem = "is a group, not a dataset";
                return false;
            }

            ulong[] dimensions = dataset.Space.Dimensions;
            if (dimensions.Length != expected.Rank || !dimensions.Select(d => (long)Math.Min(d, long.MaxValue)).SequenceEqual(expected.Dimensions.ToArray().Select(d => (long)d)))
            {
                problem = $"has shape ({string.Join(", ", dimensions)}) but {expectedName} is {expected}";
                return false;
            }

            IH5DataType type = dataset.Type;
            readingValues = true;
            values = (type.Class, type.Size) switch
            {
                (H5DataTypeClass.FloatingPoint, 4) => dataset.Read<float[]>(),
                (H5DataTypeClass.FloatingPoint, 8) => [.. dataset.Read<double[]>().Select(v => (float)v)],
                (H5DataTypeClass.FixedPoint, 8) when allowInteger => [.. dataset.Read<long[]>().Select(v => (float)v)],
                (H5DataTypeClass.FixedPoint, 4) when allowInteger => [.. dataset.Read<int[]>().Select(v => (float)v)],
                _ => [],
            };
            readingValues = false;
            if (values.Length != expected.ElementCount)
            {
                problem = string.Create(CultureInfo.InvariantCulture,
                    $"holds {type.Class} values of {type.Size} bytes{(IsBfloat16(dataset) ? " (bfloat16)" : string.Empty)}; expected float32 {(allowInteger ? "or integer " : string.Empty)}values");
                return false;
            }

            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException || !readingValues)
        {
            // A damaged header's OutOfMemoryException too (see Structure); only reading the values, whose shape was
            // checked first, lets a real lack of memory through.
            problem = $"cannot be read ({ex.Message})";
            return false;
        }
    }

    /// <summary>
    /// Reads the scalar whole number at <paramref name="path"/> (a path <see cref="Resolve"/> gave): an int64 or int32
    /// dataset of shape (), as Keras keeps an optimizer's <c>iteration</c> (int64 from TensorFlow, int32 from JAX), or
    /// explains why it cannot.
    /// </summary>
    public bool TryReadInt64Scalar(string path, out long value, out string problem)
    {
        (value, problem) = (0, string.Empty);
        if (!Exists(path))
        {
            problem = "is missing";
            return false;
        }

        bool readingValue = false;
        try
        {
            if (Get(path) is not IH5Dataset dataset)
            {
                problem = "is a group, not a dataset";
                return false;
            }

            if (dataset.Space.Dimensions.Length != 0)
            {
                problem = $"has shape ({string.Join(", ", dataset.Space.Dimensions)}) but should be a scalar, shape ()";
                return false;
            }

            IH5DataType type = dataset.Type;
            readingValue = true;
            switch (type.Class, type.Size)
            {
                case (H5DataTypeClass.FixedPoint, 8):
                    value = dataset.Read<long[]>()[0];
                    return true;
                case (H5DataTypeClass.FixedPoint, 4):
                    value = dataset.Read<int[]>()[0];
                    return true;
                default:
                    problem = string.Create(CultureInfo.InvariantCulture, $"holds {type.Class} values of {type.Size} bytes; expected an int64 or int32 value");
                    return false;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException || !readingValue)
        {
            // As in TryRead: only the value's own read lets a real lack of memory through.
            problem = $"cannot be read ({ex.Message})";
            return false;
        }
    }

    /// <summary>Whether the file has a group or dataset at <paramref name="path"/>.</summary>
    public bool Has(string path) => Exists(path);

    /// <summary>
    /// A string attribute of the group at <paramref name="groupPath"/> ("" for the file), or null when absent. Keras 2
    /// wrote these as bytes, which HDF5 keeps as fixed- or variable-length strings.
    /// </summary>
    /// <exception cref="InvalidDataException">The attribute is not a string.</exception>
    public string? StringAttribute(string groupPath, string name)
    {
        IH5Object owner = groupPath.Length == 0 ? _file : Structure(groupPath, () => Get(groupPath));
        if (!Structure(groupPath, () => owner.AttributeExists(name)))
        {
            return null;
        }

        try
        {
            return owner.Attribute(name).Read<string>();
        }
        catch (Exception ex) // An OutOfMemoryException too: see Structure.
        {
            throw new InvalidDataException($"{Source}: attribute '{name}' of '/{groupPath}' is not a string ({ex.Message}).", ex);
        }
    }

    /// <summary>
    /// A string-list attribute of the group at <paramref name="groupPath"/> ("" for the file), or null when absent; one
    /// that Keras split because of HDF5's header limit (<c>layer_names0</c>, <c>layer_names1</c>, ...) is joined again.
    /// </summary>
    /// <exception cref="InvalidDataException">The attribute is not a list of strings.</exception>
    public string[]? StringListAttribute(string groupPath, string name)
    {
        IH5Object owner = groupPath.Length == 0 ? _file : Structure(groupPath, () => Get(groupPath));
        try
        {
            if (owner.AttributeExists(name))
            {
                return ReadStrings(owner.Attribute(name));
            }

            var parts = new List<string>();
            for (int chunk = 0; owner.AttributeExists(name + chunk.ToString(CultureInfo.InvariantCulture)); chunk++)
            {
                parts.AddRange(ReadStrings(owner.Attribute(name + chunk.ToString(CultureInfo.InvariantCulture))));
            }

            return parts.Count > 0 ? [.. parts] : null;
        }
        catch (Exception ex) // An OutOfMemoryException too: see Structure.
        {
            throw new InvalidDataException($"{Source}: attribute '{name}' of '/{groupPath}' is not a list of strings ({ex.Message}).", ex);
        }
    }

    // Keras writes a layer without weights as np.asarray([]): an empty float64 array, not a list of strings. PureHDF
    // gives a null entry for a variable-length string whose global-heap reference is damaged (a by-hand fuzz run found
    // one): refused here, as the callers' messages say, instead of failing later on the null.
    private static string[] ReadStrings(IH5Attribute attribute)
    {
        if (attribute.Space.Dimensions.Length > 0 && attribute.Space.Dimensions.Any(d => d == 0))
        {
            return [];
        }

        string[] strings = attribute.Read<string[]>();
        int missing = Array.IndexOf(strings, null);
        return missing < 0 ? strings : throw new InvalidDataException($"entry {missing} of {strings.Length} holds no string");
    }

    private static bool IsBfloat16(IH5Dataset dataset)
    {
        try
        {
            return dataset.AttributeExists("dtype") && dataset.Attribute("dtype").Read<string>() == "bfloat16";
        }
        catch (Exception) // An OutOfMemoryException too: see Structure.
        {
            return false;
        }
    }

    // Every lookup by path goes through these two, under the guard (see StackGuardCulture).
    private IH5Object Get(string path)
    {
        using var guard = StackGuardCulture.Enter();
        return _file.Get(path);
    }

    private bool Exists(string path)
    {
        using var guard = StackGuardCulture.Enter();
        return Structure(path, () => LinksExist(path));
    }

    /// <summary>
    /// Runs a read of the file's structure (links, groups, headers), turning whatever PureHDF throws on a damaged file
    /// (end of stream, bad signatures, offsets out of range) into an <see cref="InvalidDataException"/> naming the path.
    /// </summary>
    /// <remarks>
    /// That includes an <see cref="OutOfMemoryException"/>: a damaged length (a global heap's string length, found by
    /// KerasH5FuzzTests) makes PureHDF ask for an array longer than .NET allows, which .NET reports so. No Keras file's
    /// structure or attributes come near that size. <see cref="TryRead"/> and <see cref="TryReadInt64Scalar"/> report
    /// one from a dataset's header (its link, dataspace or type) as a problem the same way; only the read of a dataset's
    /// values, whose shape is checked against the parameter's first, lets a real lack of memory through.
    /// </remarks>
    private T Structure<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not InvalidDataException)
        {
            // Damage, or an HDF5 feature PureHDF does not read (it throws NotSupportedException for some).
            throw new InvalidDataException($"{Source}: the HDF5 structure at '/{path}' cannot be read by PureHDF ({ex.GetType().Name}: {ex.Message}); the file is damaged or uses an HDF5 feature PureHDF does not support.", ex);
        }
    }

    private void Structure(string path, Action read) => Structure(path, () =>
    {
        read();
        return true;
    });

    private bool LinksExist(string path)
    {
        // LinkExists takes one step at a time: a missing parent group would throw instead of answering.
        IH5Group group = _file;
        string[] parts = path.Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            if (!group.LinkExists(parts[i]))
            {
                return false;
            }

            IH5Object step = group.Get(parts[i]);
            if (step is IH5UnresolvedLink link)
            {
                throw Unresolved(string.Join('/', parts[..(i + 1)]), link);
            }

            if (i < parts.Length - 1)
            {
                if (step is not IH5Group next)
                {
                    return false;
                }

                group = next;
            }
        }

        return true;
    }

    // PureHDF answers a link it cannot follow (a soft link that leads nowhere or back into itself, an external link to a
    // file it cannot open) with an unresolved-link object rather than an exception.
    private InvalidDataException Unresolved(string path, IH5UnresolvedLink link) =>
        new($"{Source}: the HDF5 link '/{path}' cannot be followed ({link.Reason?.Message ?? "no reason given"}); the file is damaged or links outside itself.", link.Reason);

    private const int MaxObjects = 1_000_000;

    // Hard links can make a group reachable many times: visits are counted, not just depth.
    private void Walk(IH5Group group, string prefix, List<string> paths, int depth, ref int visits)
    {
        if (depth > 64)
        {
            throw new InvalidDataException($"{Source}: groups nested deeper than 64 levels at '{prefix}'.");
        }

        foreach (IH5Object child in group.Children())
        {
            if (++visits > MaxObjects)
            {
                throw new InvalidDataException($"{Source}: more than {MaxObjects} objects under '{prefix}'.");
            }

            string path = prefix + child.Name;
            if (child is IH5UnresolvedLink link)
            {
                throw Unresolved(path, link);
            }

            if (child is IH5Dataset)
            {
                paths.Add(path);
            }
            else if (child is IH5Group inner)
            {
                Walk(inner, path + "/", paths, depth + 1, ref visits);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _owner.Dispose();
}
