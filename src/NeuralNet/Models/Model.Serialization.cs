using NeuralNet.Serialization;

namespace NeuralNet.Models;

// Saving and loading; the file format is described in docs/serialization.md.
public abstract partial class Model
{
    /// <summary>
    /// Saves the whole model to one file: the architecture (Keras-style JSON: a Sequential's layers, or a functional
    /// model's layers with their inbound nodes), the weights (safetensors, named like <c>dense/kernel</c>), the compile
    /// configuration and, when <paramref name="includeOptimizer"/> is true, the optimizer state and training state so that
    /// <see cref="Load(string)"/> followed by <c>Fit</c> continues exactly where this model would.
    /// </summary>
    /// <remarks>
    /// The write is atomic: the file is written to a temporary file in the same folder, flushed to disk and renamed over
    /// <paramref name="path"/>; if anything fails the previous file is left byte-identical and no temporary file remains.
    /// The file is a valid safetensors file, so Python reads its weights with <c>safetensors.numpy.load_file</c>.
    /// Saving takes the model's lock, so it never captures a half-applied training step. Layers, activations,
    /// initializers, regularizers, optimizers, losses and metrics of your own are saved when registered with
    /// <see cref="SerializationRegistry"/>.
    /// </remarks>
    /// <param name="path">The file to write (conventionally <c>*.safetensors</c>); its folder must exist.</param>
    /// <param name="includeOptimizer">Whether to save the optimizer state (Adam moments, iteration count) and random-stream states.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> ends in <c>.keras</c>, <c>.h5</c> or <c>.hdf5</c>: Keras' own formats, which this file is not.</exception>
    /// <exception cref="InvalidOperationException">The model is not built, or a layer name contains '/'.</exception>
    /// <exception cref="NotSupportedException">A component is a custom type that is not registered; register it, or use <see cref="SaveWeights"/>. Nothing is written.</exception>
    /// <exception cref="IOException">Writing failed; the previous file is unchanged.</exception>
    public void Save(string path, bool includeOptimizer = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RefuseKerasExtension(path, nameof(path));
        using (_gate.EnterExclusive())
        {
            var (tensors, metadata) = ModelSerializer.DescribeModel(this, includeOptimizer);
            SafeTensors.Save(path, tensors, metadata);
        }
    }

    /// <summary>
    /// Loads a model saved by <see cref="Save"/> (a <see cref="Sequential"/> or a <see cref="Functional"/>, or a file written
    /// by NeuralNet 0.1.0): architecture, weights, compile configuration and (if saved) optimizer and training state. Its
    /// predictions are bit-identical to the saved model's.
    /// </summary>
    /// <param name="path">A file written by <see cref="Save"/>.</param>
    /// <returns>A new, built model (compiled if the saved one was).</returns>
    /// <exception cref="InvalidDataException">The file is damaged, truncated or hostile, names a class that is not registered, or its
    /// architecture and tensors do not match (a tensor missing, extra or of the wrong shape); the message names the file,
    /// the place and the problem. Every declared shape is checked before anything is allocated.</exception>
    /// <exception cref="IOException">The file cannot be read (for example <see cref="FileNotFoundException"/>).</exception>
    public static Model Load(string path) => ModelSerializer.ReadModel(SafeTensors.Load(path));

    /// <summary>Loads a model from a stream holding a file written by <see cref="Save"/>.</summary>
    /// <param name="stream">The stream, read from its position to its end.</param>
    /// <param name="source">A description used in error messages (such as a file name).</param>
    /// <returns>A new, built model.</returns>
    /// <exception cref="InvalidDataException">As for <see cref="Load(string)"/>.</exception>
    public static Model Load(Stream stream, string source = "stream") => ModelSerializer.ReadModel(SafeTensors.Read(stream, source));

    /// <summary>Saves the weights alone, as a safetensors file with tensors named <c>layer/parameter</c>, atomically.</summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> ends in <c>.keras</c>, <c>.h5</c> or <c>.hdf5</c>: Keras' own formats, which this file is not.</exception>
    /// <exception cref="InvalidOperationException">The model is not built, or a layer name contains '/'.</exception>
    /// <exception cref="IOException">Writing failed; the previous file is unchanged.</exception>
    public void SaveWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RefuseKerasExtension(path, nameof(path));
        using (_gate.EnterExclusive())
        {
            var (tensors, metadata) = ModelSerializer.DescribeWeights(this);
            SafeTensors.Save(path, tensors, metadata);
        }
    }

    /// <summary>
    /// Loads weights saved by <see cref="SaveWeights"/> or <see cref="Save"/> (or any safetensors file whose tensors are
    /// named <c>layer/parameter</c>) into this built model. Every tensor is checked first; on a mismatch nothing changes.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, or a tensor is missing, extra or of the wrong shape; the message names it.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public void LoadWeights(string path)
    {
        var file = SafeTensors.Load(path);
        using (_gate.EnterExclusive())
        {
            ModelSerializer.ReadWeights(this, file);
        }
    }

    /// <summary>Loads a model of type <typeparamref name="T"/>, naming the file's actual type when it is another.</summary>
    private protected static T Load<T>(Model model, string source)
        where T : Model => model as T
        ?? throw FormatError.Create(source, null, $"the file holds a {model.GetType().Name} model, not a {typeof(T).Name}; load it with Model.Load.");

    /// <summary>
    /// Refuses a path with a Keras extension: the file would be safetensors under a name that Keras, h5py and people take
    /// for a Keras archive or an HDF5 file, and fail on far from here.
    /// </summary>
    internal static void RefuseKerasExtension(string path, string parameterName)
    {
        foreach (string extension in (ReadOnlySpan<string>)[".keras", ".h5", ".hdf5"])
        {
            if (path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException(
                    $"'{path}' has Keras' extension {extension}, but NeuralNet saves safetensors files (weights plus the Keras-style configuration as metadata), which Keras and h5py cannot open under that name; use a .safetensors path (see docs/serialization.md).",
                    parameterName);
            }
        }
    }
}
