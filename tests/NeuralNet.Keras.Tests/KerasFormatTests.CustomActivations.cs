using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Keras.Tests;

// A custom activation in a .keras archive, as Keras' guide "serialization_and_saving" saves one: Dense(1,
// activation=custom_fn) with custom_fn registered by @keras.saving.register_keras_serializable(package="my_package").
// Keras 3's activations.serialize (keras/src/activations/__init__.py) writes such a function as
// {"module": "builtins", "class_name": "function", "config": "my_package>custom_fn", "registered_name": "function"}
// (serialize_keras_object gives the function class's item, whose config the registered name replaces), and inside
// saving_lib's ObjectSharingScope adds "shared_object_id" to the items of a function two layers share.
public sealed partial class KerasFormatTests
{
    private const string CustomFnName = "KerasTests>custom_fn";

    private static readonly Lazy<bool> s_customActivations = new(() =>
    {
        SerializationRegistry.Register(CustomFnName, _ => new KerasSquareActivation());
        SerializationRegistry.Register("KerasTests>ScaledTanh", c => new KerasScaledTanh(c.GetSingle("scale")));
        return true;
    });

    private static readonly string s_registeredFunctionItem =
        $$"""{"module": "builtins", "class_name": "function", "config": "{{CustomFnName}}", "registered_name": "function"}""";

    [Fact]
    public void SaveModel_RegisteredActivationFunction_WritesKerasFunctionItemAndLoadsBack()
    {
        Assert.True(s_customActivations.Value);
        var inputs = new Input(new TensorShape(4), "x");
        SymbolicTensor hidden = new Dense(3, new KerasSquareActivation(), name: "square").Call(inputs);
        SymbolicTensor outputs = new Dense(2, new KerasScaledTanh(2f), name: "scaled").Call(hidden);
        var model = new Functional(inputs, outputs, seed: 5);
        string path = Path.Combine(_folder, "custom-activation.keras");

        KerasFormat.SaveModel(model, path);

        JsonArray layers = ReadConfig(path)["config"]!["layers"]!.AsArray();
        JsonNode Activation(string layer) => layers.Single(l => (string?)l!["config"]!["name"] == layer)!["config"]!["activation"]!;
        Assert.Equal(JsonNode.Parse(s_registeredFunctionItem)!.ToJsonString(), Activation("square").ToJsonString());

        // With settings: Keras' form of a registered activation object, which Keras creates with the registered class's from_config.
        JsonNode scaled = Activation("scaled");
        Assert.Equal("KerasScaledTanh", (string?)scaled["class_name"]);
        Assert.Equal("KerasTests>ScaledTanh", (string?)scaled["registered_name"]);
        Assert.Equal(2.0, (double)scaled["config"]!["scale"]!);

        Model loaded = KerasFormat.LoadModel(path);
        Assert.IsType<KerasSquareActivation>(((Dense)loaded.GetLayer("square")).Activation);
        Assert.Equal(2f, Assert.IsType<KerasScaledTanh>(((Dense)loaded.GetLayer("scaled")).Activation).Scale);
        Tensor x = Tensor.RandomNormal(new TensorShape(5, 4), seed: 6);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
    }

    [H5pyFact]
    public void LoadModel_KerasRegisteredFunctionItems_AppliesTheRegisteredActivation()
    {
        Assert.True(s_customActivations.Value);

        // As Keras 3 writes keras.Sequential([keras.Input((2,)), Dense(2, activation=custom_fn), Dense(1, activation=custom_fn)]):
        // one function object in two layers, so both items carry its shared_object_id.
        string shared = s_registeredFunctionItem.TrimEnd('}') + """, "shared_object_id": 139872641538112}""";
        string config = KerasConfigs.SequentialMlp
            .Replace(KerasConfigs.Dense("dense", 8, "relu", 4), KerasConfigs.Dense("dense", 2, "relu", 2), StringComparison.Ordinal)
            .Replace(KerasConfigs.Dense("dense_1", 3, "softmax", 8), KerasConfigs.Dense("dense_1", 1, "relu", 2), StringComparison.Ordinal)
            .Replace("\"activation\": \"relu\"", $"\"activation\": {shared}", StringComparison.Ordinal)
            .Replace("[null, 4]", "[null, 2]", StringComparison.Ordinal);
        Assert.Equal(2, config.Split("shared_object_id").Length - 1);
        float[] kernel = [1f, -1f, 0.5f, 2f], bias = [0.25f, 0f], kernel1 = [1f, -0.5f], bias1 = [0.5f];
        string path = WriteArchive("keras-custom-fn.keras", config, ["", "layers/dense", "layers/dense_1"],
        [
            ("layers/dense/vars/0", Tensor.FromArray(kernel, 2, 2)), ("layers/dense/vars/1", Tensor.FromArray(bias, 2)),
            ("layers/dense_1/vars/0", Tensor.FromArray(kernel1, 2, 1)), ("layers/dense_1/vars/1", Tensor.FromArray(bias1, 1)),
        ]);

        Model model = KerasFormat.LoadModel(path);

        Assert.IsType<KerasSquareActivation>(((Dense)model.GetLayer("dense")).Activation);
        Assert.IsType<KerasSquareActivation>(((Dense)model.GetLayer("dense_1")).Activation);
        // x = (1, 2): h = ((1 + 1 + 0.25)^2, (-1 + 4)^2) = (5.0625, 9); y = (5.0625 - 4.5 + 0.5)^2 = 1.12890625.
        Assert.Equal([1.12890625f], model.Predict(Tensor.FromArray([1f, 2f], 1, 2)).ToArray());
    }

    [Fact]
    public void LoadModel_ActivationForms_ReadTheBareNameAndRefuseAnUnknownFunctionNamingIt()
    {
        Assert.True(s_customActivations.Value);
        static string With(string activation) => KerasConfigs.SequentialMlp.Replace("\"activation\": \"relu\"", $"\"activation\": {activation}", StringComparison.Ordinal);

        // The bare registered name, and a Keras module's function item (serialize_with_public_fn: registered_name is the name).
        Model bare = NeuralNetModelFile.Architecture(With($"\"{CustomFnName}\""), "config.json");
        Assert.IsType<KerasSquareActivation>(((Dense)bare.GetLayer("dense")).Activation);
        Model keras = NeuralNetModelFile.Architecture(
            With("""{"module": "keras.activations", "class_name": "function", "config": "gelu", "registered_name": "gelu"}"""), "config.json");
        Assert.IsType<Gelu>(((Dense)keras.GetLayer("dense")).Activation);

        // Keras' item of a function registered under no name here (Keras itself needs custom_objects={"custom_fn": ...} for it).
        var unknown = Assert.Throws<InvalidDataException>(() => NeuralNetModelFile.Architecture(
            With("""{"module": "builtins", "class_name": "function", "config": "custom_fn", "registered_name": "function"}"""), "config.json"));
        Assert.Contains("'dense'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("\"activation\" is the function \"custom_fn\", which is not a known activation", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("SerializationRegistry.Register", unknown.Message, StringComparison.Ordinal);

        var notAName = Assert.Throws<InvalidDataException>(() => NeuralNetModelFile.Architecture(
            With("""{"module": "builtins", "class_name": "function", "config": {"x": 1}, "registered_name": "function"}"""), "config.json"));
        Assert.Contains("\"config\" must be the function's name but is an object", notAName.Message, StringComparison.Ordinal);
    }
}

/// <summary>f(x) = x², the guide's custom_fn of this test: an activation without settings.</summary>
internal sealed class KerasSquareActivation : ActivationFunction
{
    public override string Name => "custom_fn";

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = input[i] * input[i];
        }
    }

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        for (int i = 0; i < input.Length; i++)
        {
            inputGradient[i] = 2 * input[i] * outputGradient[i];
        }
    }
}

/// <summary>f(x) = tanh(scale · x): a registered activation with a setting.</summary>
internal sealed class KerasScaledTanh(float scale) : ActivationFunction
{
    public float Scale { get; } = scale;

    public override string Name => "scaled_tanh";

    public override Config GetConfig() => new Config().Set("scale", Scale);

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = MathF.Tanh(Scale * input[i]);
        }
    }

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        for (int i = 0; i < input.Length; i++)
        {
            inputGradient[i] = Scale * (1 - output[i] * output[i]) * outputGradient[i];
        }
    }
}
