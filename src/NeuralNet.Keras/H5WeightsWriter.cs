using PureHDF;

namespace NeuralNet.Keras;

/// <summary>Writes a Keras weights file: the groups and datasets Keras' <c>H5IOStore</c> makes, from paths.</summary>
internal static class H5WeightsWriter
{
    /// <summary>
    /// Writes <paramref name="groups"/> (each made, even if empty), <paramref name="datasets"/> and
    /// <paramref name="int64Scalars"/> (whole numbers beyond float32's exact range, such as an optimizer's step count) to
    /// <paramref name="stream"/>.
    /// </summary>
    public static void Write(Stream stream, IEnumerable<string> groups, IEnumerable<(string Path, Tensor Value, bool IsInteger)> datasets,
        IEnumerable<(string Path, long Value)>? int64Scalars = null)
    {
        var file = new H5File();
        foreach (string group in groups)
        {
            GroupAt(file, group.Split('/'));
        }

        foreach (var (path, value, isInteger) in datasets)
        {
            string[] parts = path.Split('/');
            H5Group parent = GroupAt(file, parts[..^1]);
            ulong[] dimensions = [.. value.Shape.Dimensions.ToArray().Select(d => (ulong)d)];
            float[] data = value.AsSpan().ToArray();
            parent[parts[^1]] = isInteger
                ? new H5Dataset(data.Select(v => (long)v).ToArray(), fileDims: dimensions)
                : new H5Dataset(data, fileDims: dimensions);
        }

        foreach (var (path, value) in int64Scalars ?? [])
        {
            string[] parts = path.Split('/');
            GroupAt(file, parts[..^1])[parts[^1]] = new H5Dataset(new[] { value }, fileDims: []);
        }

        file.Write(stream);
    }

    private static H5Group GroupAt(H5Group root, ReadOnlySpan<string> parts)
    {
        H5Group group = root;
        foreach (string part in parts)
        {
            if (!group.TryGetValue(part, out object? child))
            {
                child = new H5Group();
                group[part] = child;
            }

            group = (H5Group)child;
        }

        return group;
    }
}
