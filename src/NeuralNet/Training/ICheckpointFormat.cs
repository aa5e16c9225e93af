using NeuralNet.Models;

namespace NeuralNet.Training;

/// <summary>
/// A file format <see cref="ModelCheckpoint"/> saves in instead of NeuralNet's safetensors files: the package that knows
/// the format supplies it (NeuralNet.Keras' <c>KerasCheckpointFormat.Instance</c> writes Keras' <c>.keras</c> and
/// <c>.weights.h5</c> files), since the core package cannot reference it.
/// </summary>
public interface ICheckpointFormat
{
    /// <summary>
    /// Checks, when the callback is created, that <paramref name="path"/> (with its placeholders still in it) names a file of
    /// this format; throws <see cref="ArgumentException"/> naming <paramref name="parameterName"/> otherwise.
    /// </summary>
    /// <param name="path">The checkpoint path.</param>
    /// <param name="weightsOnly">Whether the callback saves the weights alone.</param>
    /// <param name="parameterName">The parameter to name in the exception.</param>
    void CheckPath(string path, bool weightsOnly, string parameterName);

    /// <summary>
    /// Checks, when <c>Fit</c> starts and before anything trains, that <paramref name="model"/> can be saved in this format
    /// (every layer and weight has a place in it); throws, naming what cannot be written, otherwise. Writes nothing.
    /// </summary>
    /// <param name="model">The model about to be trained.</param>
    /// <param name="weightsOnly">Whether the callback saves the weights alone.</param>
    void CheckModel(Model model, bool weightsOnly);

    /// <summary>Saves the whole model to <paramref name="path"/>, atomically (a failed save leaves the previous file as it was).</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="path">The file, its placeholders filled and its folder created.</param>
    void SaveModel(Model model, string path);

    /// <summary>Saves the model's weights to <paramref name="path"/>, atomically.</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="path">The file, its placeholders filled and its folder created.</param>
    void SaveWeights(Model model, string path);
}
