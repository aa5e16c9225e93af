using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;

namespace NeuralNet.Models;

// Keras' compile with a loss and metrics per output given by their string identifiers (loss={"priority":
// "binary_crossentropy", ...}, metrics={"priority": ["accuracy"]}, or lists in output order), resolved as the
// single-output Compile(string, string, string[]) resolves them.
public abstract partial class Model
{
    /// <summary>
    /// Configures training by output name with Keras identifiers, as <c>model.compile(optimizer=..., loss={"priority":
    /// "binary_crossentropy", "department": "categorical_crossentropy"}, metrics={"priority": ["accuracy"]})</c>: each name
    /// gives the component with its default settings, resolved as in <see cref="Compile(string, string, string[])"/>, and a
    /// metric is logged under its identifier (prefixed with the output's name as the other per-output overloads do).
    /// </summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="losses">Loss identifiers by output name; an output left out is not trained.</param>
    /// <param name="lossWeights">Weights by output name (1 for an output left out), or null.</param>
    /// <param name="metrics">Metric identifiers by output name, or null.</param>
    /// <exception cref="ArgumentException">An identifier is unknown (the message lists the known ones), or as for
    /// <see cref="Compile(Optimizer, IReadOnlyDictionary{string, Loss}, IReadOnlyDictionary{string, float}?, IReadOnlyDictionary{string, IReadOnlyList{Metric}}?, IReadOnlyDictionary{string, IReadOnlyList{Metric}}?)"/>.
    /// Nothing is changed then.</exception>
    public void Compile(Optimizer optimizer, IReadOnlyDictionary<string, string> losses, IReadOnlyDictionary<string, float>? lossWeights = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(losses);
        Dictionary<string, Loss> resolvedLosses = losses.ToDictionary(pair => pair.Key, pair => LossNamed(pair.Value), StringComparer.Ordinal);
        Dictionary<string, IReadOnlyList<Metric>>? resolvedMetrics = metrics?.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<Metric>)MetricsNamed(pair.Value), StringComparer.Ordinal);
        Compile(optimizer, resolvedLosses, lossWeights, resolvedMetrics);
    }

    /// <summary>
    /// Configures training by output name with Keras identifiers for the optimizer, the losses and the metrics
    /// (<c>model.compile(optimizer="rmsprop", loss={...}, metrics={...})</c>); see
    /// <see cref="Compile(Optimizer, IReadOnlyDictionary{string, string}, IReadOnlyDictionary{string, float}?, IReadOnlyDictionary{string, IReadOnlyList{string}}?)"/>.
    /// </summary>
    /// <param name="optimizer">The optimizer's identifier (<c>"adam"</c>, <c>"rmsprop"</c>, ...).</param>
    /// <param name="losses">Loss identifiers by output name; an output left out is not trained.</param>
    /// <param name="lossWeights">Weights by output name (1 for an output left out), or null.</param>
    /// <param name="metrics">Metric identifiers by output name, or null.</param>
    /// <exception cref="ArgumentException">An identifier is unknown (the message lists the known ones), or a name is not an output's.</exception>
    public void Compile(string optimizer, IReadOnlyDictionary<string, string> losses, IReadOnlyDictionary<string, float>? lossWeights = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? metrics = null) =>
        Compile(SerializationRegistry.FromIdentifier<Optimizer>(optimizer, nameof(optimizer)), losses, lossWeights, metrics);

    /// <summary>
    /// Configures training per output, in output order, with Keras identifiers for the optimizer, the losses and the
    /// metrics (<c>model.compile(optimizer="adam", loss=["mse", "binary_crossentropy"], metrics=[["mae"], ["accuracy"]])</c>),
    /// resolved as in <see cref="Compile(string, string, string[])"/>.
    /// </summary>
    /// <remarks>There is no overload taking an <see cref="Optimizer"/> object with identifiers in a list: it would make
    /// <c>Compile(optimizer, [null, null])</c> ambiguous with the list of <see cref="Loss"/> objects. Use the dictionary
    /// form, or this one.</remarks>
    /// <param name="optimizer">The optimizer's identifier.</param>
    /// <param name="losses">One loss identifier per output (null for an output not trained).</param>
    /// <param name="lossWeights">One weight per output, or null for all 1.</param>
    /// <param name="metrics">One list of metric identifiers per output, or null for none.</param>
    /// <exception cref="ArgumentException">An identifier is unknown (the message lists the known ones), or as for
    /// <see cref="Compile(Optimizer, IReadOnlyList{Loss?}, IReadOnlyList{float}?, IReadOnlyList{IReadOnlyList{Metric}}?, IReadOnlyList{IReadOnlyList{Metric}}?)"/>.
    /// Nothing is changed then.</exception>
    public void Compile(string optimizer, IReadOnlyList<string?> losses, IReadOnlyList<float>? lossWeights = null, IReadOnlyList<IReadOnlyList<string>>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(losses);
        Optimizer resolvedOptimizer = SerializationRegistry.FromIdentifier<Optimizer>(optimizer, nameof(optimizer));
        Loss?[] resolvedLosses = [.. losses.Select(name => name is null ? null : LossNamed(name))];
        IReadOnlyList<Metric>[]? resolvedMetrics = metrics is null ? null : [.. metrics.Select(names => MetricsNamed(names ?? []))];
        Compile(resolvedOptimizer, resolvedLosses, lossWeights, resolvedMetrics);
    }

    private static Loss LossNamed(string name) => SerializationRegistry.FromIdentifier<Loss>(name, "losses");

    // Keras 3 (compile_utils.get_metric) logs a metric named by a string under that string, as the single-output overload does.
    private static Metric[] MetricsNamed(IReadOnlyList<string> names)
    {
        Metric[] metrics = [.. names.Select(name => SerializationRegistry.FromIdentifier<Metric>(name, "metrics"))];
        for (int i = 0; i < metrics.Length; i++)
        {
            metrics[i].Rename(names[i], "metrics");
        }

        return metrics;
    }
}
