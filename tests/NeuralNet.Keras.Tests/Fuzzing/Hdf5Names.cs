namespace NeuralNet.Keras.Tests.Fuzzing;

/// <summary>The names an HDF5 weights file stores, for <see cref="Hdf5Mutations.MutateName"/> to damage.</summary>
internal static class Hdf5Names
{
    /// <summary>
    /// The names of the groups and datasets under <paramref name="roots"/> and the roots' own, with <paramref name="others"/>
    /// (attribute names, say), three characters or more (shorter ones are in most bytes of the file), sorted.
    /// </summary>
    public static string[] Of(byte[] file, IEnumerable<string> roots, params string[] others)
    {
        using var weights = H5WeightsReader.Open(new MemoryStream(file, writable: false), "original");
        return [.. roots.SelectMany(weights.DatasetPaths).SelectMany(p => p.Split('/')).Concat(roots).Concat(others)
            .Where(n => n.Length >= 3).Distinct().Order(StringComparer.Ordinal)];
    }
}
