using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

// Keras' model.to_json(), keras.models.model_from_json() and clone_model(): the architecture without the weights.
public class ArchitectureTests
{
    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    private static Sequential Mlp(long seed) => new(
        [new InputLayer(6), new Dense(5, ActivationFunction.Relu), new Dropout(0.2), new Dense(3, ActivationFunction.Softmax, name: "probabilities")],
        name: "mlp",
        seed: seed);

    [Fact]
    public void GetCompileConfig_CompiledModel_IsTheCompileConfigOfItsFile()
    {
        Sequential model = Mlp(seed: 3);
        Assert.Null(model.GetCompileConfig());

        model.Compile(new Adam(0.02f), new CategoricalCrossEntropy(), new NeuralNet.Training.Accuracy());
        string? json = model.GetCompileConfig();

        var config = System.Text.Json.Nodes.JsonNode.Parse(json!)!;
        Assert.Equal("Adam", (string?)config["optimizer"]!["class_name"]);
        Assert.Equal(0.02, (double)config["optimizer"]!["config"]!["learning_rate"]!, 6);
        Assert.Equal("CategoricalCrossentropy", (string?)config["loss"]!["class_name"]);
        Assert.Equal("accuracy", (string?)config["metrics"]![0]);
        string path = Path.Combine(Path.GetTempPath(), $"compile-config-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Assert.Equal(json, NeuralNet.Serialization.SafeTensors.Load(path).Metadata["compile_config"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Clone_Sequential_HasTheArchitectureAndTheWeightsTheModelWasCreatedWith()
    {
        Sequential model = Mlp(seed: 7);
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 6), 1);
        int[] initial = Bits(model.Predict(x));

        var clone = Assert.IsType<Sequential>(model.Clone());

        Assert.Equal(model.Layers.Select(l => l.GetConfig().ToString()), clone.Layers.Select(l => l.GetConfig().ToString()));
        Assert.Equal(initial, Bits(clone.Predict(x)));
        Assert.False(clone.IsCompiled);
        Assert.All(clone.Layers, l => Assert.DoesNotContain(l, model.Layers));
        Assert.All(clone.Parameters, p => Assert.DoesNotContain(p, model.Parameters));

        // Training the model leaves the clone alone.
        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        model.Fit(x, Tensor.FromArray([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], 4, 3), epochs: 2, batchSize: 2, verbose: 0, seed: 2);
        Assert.NotEqual(initial, Bits(model.Predict(x)));
        Assert.Equal(initial, Bits(clone.Predict(x)));
    }

    [Fact]
    public void Clone_WithAnotherSeed_DrawsOtherWeights()
    {
        Sequential model = Mlp(seed: 7);
        Model clone = model.Clone(seed: 8);

        Assert.Equal(8, clone.Seed);
        Assert.NotEqual(Bits(model.Parameters[0].Value), Bits(clone.Parameters[0].Value));
        Assert.Equal(Bits(Mlp(seed: 8).Parameters[0].Value), Bits(clone.Parameters[0].Value));
    }

    [Fact]
    public void Clone_FunctionalWithASharedLayer_KeepsItShared()
    {
        Functional siamese = FunctionalTests.Siamese(seed: 4);
        var (a, b, _, _) = FunctionalTests.SiameseData(3, 5);

        var clone = Assert.IsType<Functional>(siamese.Clone());

        Assert.Equal(siamese.ParameterCount, clone.ParameterCount);
        Assert.Equal(2, clone.GetLayer("shared").Nodes.Count);
        IReadOnlyList<Tensor> expected = siamese.PredictOutputs([a, b]), actual = clone.PredictOutputs([a, b]);
        Assert.Equal(Bits(expected[0]), Bits(actual[0]));
        Assert.Equal(Bits(expected[1]), Bits(actual[1]));
    }

    [Fact]
    public void Clone_KeepsFrozenLayersAndFixedModes()
    {
        var x = new Input(new TensorShape(4), "x");
        var frozen = new Dense(4, name: "frozen") { Trainable = false };
        SymbolicTensor h = new Dropout(0.5, name: "drop").Call(frozen.Call(x), training: false);
        var model = new Functional(x, new Dense(2, name: "out").Call(h), seed: 6);

        Model clone = model.Clone();

        Assert.False(clone.GetLayer("frozen").Trainable);
        Assert.Equal(false, clone.GetLayer("drop").Output.Training);
        Assert.Equal(model.TrainableParameterCount, clone.TrainableParameterCount);
    }

    [Fact]
    public void ToJsonFromJson_RoundTrip_GivesTheSameArchitectureAndJson()
    {
        Sequential model = Mlp(seed: 3);
        string json = model.ToJson();

        Model again = Model.FromJson(json);

        Assert.Contains("\"class_name\":\"Sequential\"", json, StringComparison.Ordinal);
        Assert.Equal(json, again.ToJson());
        Assert.Equal(["input_layer", "dense", "dropout", "probabilities"], again.Layers.Select(l => l.Name));
    }

    [Fact]
    public void FromJson_Malformed_ThrowsNamingTheProblem()
    {
        var e = Assert.Throws<InvalidDataException>(() => Model.FromJson("{\"class_name\": \"Sequential\""));
        Assert.Contains("not valid JSON", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Model.FromJson("{\"class_name\": \"Transformer\", \"config\": {}}"));
        Assert.Contains("the model class is \"Transformer\"", e.Message);
        Assert.Throws<ArgumentNullException>(() => Model.FromJson(null!));
    }

    [Fact]
    public void CloneAndToJson_UnbuiltOrUnregistered_Throw()
    {
        var unbuilt = new Sequential([new Dense(2)], name: "later");
        Assert.Throws<InvalidOperationException>(() => unbuilt.Clone());

        var custom = new Sequential([new InputLayer(3), new UnregisteredDouble()], name: "custom");
        Assert.Throws<NotSupportedException>(() => custom.ToJson());
        Assert.Throws<NotSupportedException>(() => custom.Clone());
    }
}
