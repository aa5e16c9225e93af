using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// A layer's activation in Keras' form (Keras 3's <c>activations.serialize</c>, keras/src/activations/__init__.py): a
/// built-in function by its name (<c>"relu"</c>), which NeuralNet's config already holds; a function registered with
/// <c>register_keras_serializable</c> as <c>{"module": "builtins", "class_name": "function", "config":
/// "package&gt;name", "registered_name": "function"}</c>, which Keras' <c>activations.deserialize</c> finds among its
/// registered objects by that name; a registered activation object with settings as its
/// <c>{"class_name", "config", "registered_name"}</c>, which Keras creates with the registered class's <c>from_config</c>.
/// </summary>
internal static class KerasActivations
{
    /// <summary>
    /// The Keras form of <paramref name="activation"/>, an object NeuralNet wrote under <paramref name="key"/> of a layer
    /// config: a registered activation without settings becomes Keras' item of a registered function, one with settings is
    /// kept as it is.
    /// </summary>
    /// <exception cref="NotSupportedException">A built-in activation with settings (<c>new LeakyRelu(0.1f)</c>): Keras'
    /// <c>activations.deserialize</c> looks a class name up among the activation functions (<c>leaky_relu</c>, ...), so
    /// Keras could not load it.</exception>
    public static JsonObject Write(JsonObject activation, JsonObject layerConfig, string key)
    {
        if (KerasConfigItems.Text(activation["registered_name"]) is not string registered)
        {
            throw new NotSupportedException(
                $"Layer '{layerConfig["name"]}' has the {key} {activation.ToJsonString()}, a built-in activation with settings, which Keras cannot read from a layer config (its activations.deserialize finds only functions there, by name, such as \"leaky_relu\" with its default settings): use the activation layer (LeakyReLU, ELU, ReLU) after the layer instead.");
        }

        if (activation["config"] is JsonObject { Count: 0 })
        {
            // What Keras writes for a registered function: Keras' user registers custom_fn under the same name.
            return new JsonObject { ["module"] = "builtins", ["class_name"] = "function", ["config"] = registered, ["registered_name"] = "function" };
        }

        return activation;
    }
}
