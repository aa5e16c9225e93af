using NeuralNet.Models;
using NeuralNet.Training;

namespace NeuralNet.Keras;

/// <summary>
/// Makes <see cref="ModelCheckpoint"/> write Keras 3's files, as Keras' own callback does: a <c>.keras</c> archive
/// (<see cref="KerasFormat.SaveModel"/>), or with <c>saveWeightsOnly: true</c> a <c>.weights.h5</c> file
/// (<see cref="KerasFormat.SaveWeights"/>); both atomically.
/// </summary>
/// <example><c>new ModelCheckpoint("best_model.keras", saveBestOnly: true, format: KerasCheckpointFormat.Instance)</c></example>
public sealed class KerasCheckpointFormat : ICheckpointFormat
{
    private KerasCheckpointFormat()
    {
    }

    /// <summary>The format (it holds no state).</summary>
    public static KerasCheckpointFormat Instance { get; } = new();

    /// <summary>
    /// Refuses, as Keras' <c>ModelCheckpoint</c> does when it is created, a path that does not end in <c>.weights.h5</c>
    /// when only weights are saved, or in <c>.keras</c> when the whole model is.
    /// </summary>
    /// <param name="path">The checkpoint path.</param>
    /// <param name="weightsOnly">Whether the callback saves the weights alone.</param>
    /// <param name="parameterName">The parameter to name in the exception.</param>
    /// <exception cref="ArgumentException">The path has another extension.</exception>
    public void CheckPath(string path, bool weightsOnly, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(path);
        string extension = weightsOnly ? ".weights.h5" : ".keras";
        if (!path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
        {
            string hint = weightsOnly
                ? "with saveWeightsOnly: true, Keras writes the weights as a .weights.h5 file"
                : "Keras writes a whole model as a .keras archive (pass saveWeightsOnly: true for a .weights.h5 file)";
            throw new ArgumentException($"ModelCheckpoint path '{path}' must end in {extension}: {hint}.", parameterName);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A layer, a weight or a preprocessor has no Keras form (the message names it),
    /// as <see cref="KerasFormat.SaveModel"/> or <see cref="KerasFormat.SaveWeights"/> would refuse it.</exception>
    public void CheckModel(Model model, bool weightsOnly) => KerasFormat.CheckSavable(model, weightsOnly);

    /// <inheritdoc/>
    public void SaveModel(Model model, string path) => KerasFormat.SaveModel(model, path);

    /// <inheritdoc/>
    public void SaveWeights(Model model, string path) => KerasFormat.SaveWeights(model, path);
}
