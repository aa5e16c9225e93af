using NeuralNet.Preprocessing;

namespace NeuralNet.Models;

// Preprocessing objects saved with the model; see docs/serialization.md.
public abstract partial class Model
{
    private readonly SortedDictionary<string, Preprocessor> _preprocessing = new(StringComparer.Ordinal);

    /// <summary>
    /// Named preprocessors that belong with the model, such as the <see cref="TextVectorization"/> whose ids it was
    /// trained on: <see cref="Save"/> writes each one's configuration (a vectorizer's vocabulary included) and
    /// <see cref="Load(string)"/> restores them under the same names.
    /// </summary>
    /// <remarks>A preprocessor of your own is saved when its type is registered with <see cref="Serialization.SerializationRegistry"/>.</remarks>
    /// <example><c>model.Preprocessing["text"] = vectorizer; model.Save(path); var same = (TextVectorization)Model.Load(path).Preprocessing["text"];</c></example>
    public IDictionary<string, Preprocessor> Preprocessing => _preprocessing;
}
