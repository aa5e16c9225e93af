using NeuralNet.Serialization;

namespace NeuralNet.Models;

// The architecture without the weights: Keras' model.to_json(), keras.models.model_from_json() and clone_model().
public abstract partial class Model
{
    /// <summary>
    /// The model's architecture as JSON (Keras' <c>model.to_json()</c>): the <c>model_config</c> that <see cref="Save"/>
    /// writes, without weights, compile settings or training state.
    /// </summary>
    /// <returns>The JSON text, which <see cref="FromJson"/> reads.</returns>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A layer or component is a custom type that is not registered with <see cref="SerializationRegistry"/>.</exception>
    public string ToJson()
    {
        using (_gate.EnterExclusive())
        {
            return ModelSerializer.ArchitectureJson(this);
        }
    }

    /// <summary>
    /// The training configuration <see cref="Compile(NeuralNet.Optimizers.Optimizer, NeuralNet.Losses.Loss, NeuralNet.Training.Metric[])"/> set, as JSON (Keras'
    /// <c>get_compile_config</c>): the optimizer with its settings, the losses, loss weights and metrics, in the form model
    /// files keep it as <c>compile_config</c>. Null when the model is not compiled.
    /// </summary>
    /// <returns>The JSON text, or null.</returns>
    /// <exception cref="NotSupportedException">A component is a custom type that is not registered with <see cref="SerializationRegistry"/>.</exception>
    public string? GetCompileConfig()
    {
        using (_gate.EnterExclusive())
        {
            return Optimizer is NeuralNet.Optimizers.Optimizer optimizer ? ModelSerializer.CompileConfigJson(this, optimizer) : null;
        }
    }

    /// <summary>
    /// Creates a model from an architecture (Keras' <c>keras.models.model_from_json</c>): the JSON <see cref="ToJson"/>
    /// returns, or the <c>model_config</c> of a model file. The new model is built, not compiled, and its weights are new:
    /// drawn as a model created in code with the seed the JSON records draws them.
    /// </summary>
    /// <param name="json">The architecture.</param>
    /// <returns>A new, built model: a <see cref="Sequential"/> or a <see cref="Functional"/>, as the JSON says.</returns>
    /// <exception cref="InvalidDataException">The JSON is malformed or hostile, or names a class that is not registered; the
    /// message names the place and the problem.</exception>
    public static Model FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ModelSerializer.ReadArchitecture(json, "JSON", seed: null);
    }

    /// <summary>
    /// A new model with this model's architecture and new weights (Keras' <c>keras.models.clone_model</c>): new layer
    /// objects of the same types and settings, not compiled, sharing nothing with this model. Copy the weights with
    /// <c>clone.SetWeights(model.GetWeights())</c> when you want them too (a target network).
    /// </summary>
    /// <param name="seed">The seed of the new weights; null for this model's <see cref="Seed"/> (the clone then starts from
    /// the weights this model had when it was created, unless an earlier model seeded its layers).</param>
    /// <returns>The new model, of this model's kind.</returns>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A layer is a custom type that is not registered with <see cref="SerializationRegistry"/>.</exception>
    /// <remarks><see cref="Preprocessing"/> entries and adapted statistics (weights) are not copied. Components no file could
    /// name (a custom activation, initializer, regularizer or constraint that is not registered, a Lambda's unregistered
    /// function) are shared with the clone instead of made again, as Keras' <c>clone_model</c> finds any class or function of
    /// the running program; layers are always new objects.</remarks>
    public Model Clone(long? seed = null) =>
        CloneReferences.Run(() => ModelSerializer.ReadArchitecture(ToJson(), $"model '{Name}'", seed));
}
