using NeuralNet.Models;

namespace NeuralNet.Datasets;

/// <summary>
/// One batch from a data source: the inputs, the targets (absent when the batch is only predicted) and optionally
/// sample weights — the tuple a Keras <c>PyDataset.__getitem__</c> or generator yields.
/// </summary>
/// <param name="X">One tensor (samples, ...) per model input, in order or by input name.</param>
/// <param name="Y">One tensor (samples, ...) per output, in order or by output name; empty (<c>default</c>) for
/// <c>Predict</c>.</param>
/// <param name="SampleWeight">Non-negative weights as <c>Fit</c>'s <c>sampleWeight</c>: one per sample, (samples), or one per entry of the losses' values, (samples, ...);
/// one tensor for every output, one per output in output order, or a dictionary by output name (an output it does not name
/// is not weighted); null for none.</param>
/// <example>
/// <code>
/// IEnumerable&lt;DataBatch&gt; Batches()
/// {
///     foreach (CsvTable chunk in CsvTable.ReadChunks("big.csv", options, rowsPerChunk: 4096))
///     {
///         yield return new DataBatch(chunk.Features, chunk.Labels);
///     }
/// }
/// model.Fit(Batches(), epochs: 5);
/// </code>
/// </example>
public readonly record struct DataBatch(ModelData X, ModelData Y = default, ModelData? SampleWeight = null)
{
    /// <summary>Whether the batch carries targets.</summary>
    public bool HasTargets => Y.Count > 0;
}
