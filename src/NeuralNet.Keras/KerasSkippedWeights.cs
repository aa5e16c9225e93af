namespace NeuralNet.Keras;

/// <summary>
/// Weights that <see cref="KerasFormat.LoadWeights(Models.Model, string, bool)"/> with <c>skipMismatch</c> did not load,
/// and why: what Keras' <c>model.load_weights(path, skip_mismatch=True)</c> reports in its warning ("A total of N objects
/// could not be loaded ... List of objects that could not be loaded"), as a value the caller can log, show or check.
/// </summary>
/// <remarks>
/// In a Keras 3 file (<c>.weights.h5</c>, <c>.keras</c>) the unit is a layer's <c>vars</c> group, as Keras skips an object
/// whose <c>load_own_variables</c> fails: all the parameters kept there are left as they were. In a Keras 2 <c>.h5</c> file
/// it is one weight, as Keras' by-order loading skips each weight of another shape. A group of the file that no layer of
/// the model takes (Keras ignores it without a word) is reported too, with <see cref="Layer"/> null.
/// </remarks>
public sealed class KerasSkippedWeights
{
    internal KerasSkippedWeights(string? layer, string path, IReadOnlyList<string> parameters, string reason)
    {
        (Layer, Path, Parameters, Reason) = (layer, path, parameters, reason);
    }

    /// <summary>The model's layer whose parameters were left unchanged, or null for a group of the file that no layer takes.</summary>
    public string? Layer { get; }

    /// <summary>Where in the file: the group (<c>layers/dense_1/vars</c>) or, in a Keras 2 file, the dataset (<c>dense_2/dense_2/kernel:0</c>).</summary>
    public string Path { get; }

    /// <summary>The names of the layer's parameters that kept their values (<c>kernel</c>, <c>bias</c>); empty when the layer has none there.</summary>
    public IReadOnlyList<string> Parameters { get; }

    /// <summary>Why they were skipped: the shapes or counts that differ, naming the dataset and the parameter.</summary>
    public string Reason { get; }

    /// <summary>The layer (or "no layer"), the path and the reason, for a log line.</summary>
    /// <returns>Such as <c>layer 'head', layers/dense_1/vars: dataset 'layers/dense_1/vars/0' has shape (32, 4) but parameter 'kernel' of layer 'head' (Dense) is (32, 1)</c>.</returns>
    public override string ToString() => $"{(Layer is null ? "no layer" : $"layer '{Layer}'")}, {Path}: {Reason}";
}
