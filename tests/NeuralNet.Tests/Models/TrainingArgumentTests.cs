using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Models;

// Keras' training argument of a call: layer(x, training=False), base_model(x, training=False), Monte Carlo dropout.
public class TrainingArgumentTests
{
    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    // x (4) -> dense(6) -> batch norm -> dropout(0.5) -> dense(2): the base of the transfer-learning tests.
    private static Functional BaseModel()
    {
        var x = new Input(new TensorShape(4));
        SymbolicTensor h = new Dense(6).Call(x);
        h = new BatchNormalization(name: "bn").Call(h);
        h = new Dropout(0.5, name: "drop").Call(h);
        return new Functional(x, new Dense(3, ActivationFunction.Tanh).Call(h), name: "base", seed: 1);
    }

    [Fact]
    public void Forward_LayerCalledInInferenceMode_RunsSoWhileTheModelTrains()
    {
        var x = new Input(new TensorShape(5), "x");
        SymbolicTensor h = new Dropout(0.5, name: "drop").Call(x, training: false);
        var model = new Functional(x, new Dense(2, name: "out").Call(h), seed: 2);
        Tensor data = Tensor.RandomNormal(new TensorShape(8, 5), 3);

        Tensor inference = model.Forward([data], training: false)[0].Clone();
        Tensor training = model.Forward([data], training: true)[0];

        Assert.Equal(Bits(inference), Bits(training));
    }

    [Fact]
    public void Predict_LayerCalledInTrainingMode_DropsInPredictToo()
    {
        // Monte Carlo dropout: Dropout(x, training=True) keeps dropping at inference.
        var x = new Input(new TensorShape(200), "x");
        var model = new Functional(x, new Dropout(0.5, name: "drop").Call(x, training: true), seed: 4);
        Tensor data = Tensor.Ones(3, 200);

        float[] output = model.Predict(data).ToArray();

        int zeros = output.Count(v => v == 0f);
        Assert.InRange(zeros, 200, 400);
        Assert.All(output, v => Assert.True(v == 0f || v == 2f));
    }

    [Fact]
    public void Fit_BaseModelCalledInInferenceMode_KeepsItsMovingStatisticsAndTrainsGammaAndBeta()
    {
        // Keras' fine-tuning recipe: base_model(x, training=False) with the base trainable.
        Functional baseModel = BaseModel();
        var image = new Input(new TensorShape(4), "image");
        var model = new Functional(image, new Dense(2, ActivationFunction.Softmax, name: "head").Call(baseModel.Call(image, training: false)), seed: 5);
        var bn = (BatchNormalization)baseModel.GetLayer("bn");
        float[] movingMean = bn.Parameters.Single(p => p.Name == "moving_mean").Value.ToArray();
        float[] movingVariance = bn.Parameters.Single(p => p.Name == "moving_variance").Value.ToArray();
        float[] gamma = bn.Parameters.Single(p => p.Name == "gamma").Value.ToArray();
        Tensor data = Tensor.RandomNormal(new TensorShape(16, 4), 6, mean: 3f);
        var labels = new Tensor(16, 2);
        for (int i = 0; i < 16; i++)
        {
            labels[i, data[i, 0] > 3 ? 0 : 1] = 1f;
        }

        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        model.Fit(data, labels, epochs: 2, batchSize: 4, verbose: 0, seed: 7);

        Assert.Equal(movingMean, bn.Parameters.Single(p => p.Name == "moving_mean").Value.ToArray());
        Assert.Equal(movingVariance, bn.Parameters.Single(p => p.Name == "moving_variance").Value.ToArray());
        Assert.NotEqual(gamma, bn.Parameters.Single(p => p.Name == "gamma").Value.ToArray());

        // Training the same base without the argument updates the statistics: the test can fail.
        var plain = new Functional(image, new Dense(2, ActivationFunction.Softmax, name: "head2").Call(baseModel.Call(image)), seed: 8);
        plain.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        plain.Fit(data, labels, epochs: 1, batchSize: 4, verbose: 0, seed: 9);
        Assert.NotEqual(movingMean, bn.Parameters.Single(p => p.Name == "moving_mean").Value.ToArray());
    }

    [Fact]
    public void Forward_BaseModelInInferenceMode_TrainingAndInferencePassesAgree()
    {
        Functional baseModel = BaseModel();
        var x = new Input(new TensorShape(4), "x");
        var model = new Functional(x, baseModel.Call(x, training: false), name: "frozen_mode");
        Tensor data = Tensor.RandomNormal(new TensorShape(6, 4), 10);

        Tensor inference = model.Forward([data], training: false)[0].Clone();

        Assert.Equal(Bits(inference), Bits(model.Forward([data], training: true)[0]));
        Assert.Equal(Bits(inference), Bits(baseModel.Predict(data)));
    }

    [Fact]
    public void Backward_BatchNormalizationCalledInInferenceMode_MatchesNumericalGradients()
    {
        // Inference-mode batch normalization is affine in its input, gamma and beta; its gradients must still flow.
        var x = new Input(new TensorShape(4), "x");
        SymbolicTensor h = new Dense(5, ActivationFunction.Tanh, name: "d1").Call(x);
        h = new BatchNormalization(name: "bn").Call(h, training: false);
        var model = new Functional(x, new Dense(3, ActivationFunction.Softmax, name: "out").Call(h), seed: 11);

        ModelGradientChecker.Check(model, [Tensor.RandomNormal(new TensorShape(4, 4), 12)], seed: 13).AssertPassed();
    }

    [Fact]
    public void CallOutputs_NestedCallFixedItsOwnMode_KeepsItInsideALargerCall()
    {
        // An inner call fixed to training mode stays so when the model around it is called in inference mode (tf.keras: an
        // explicit argument wins over the one the outer call passes on).
        var x0 = new Input(new TensorShape(50));
        var inner = new Functional(x0, new Dropout(0.5, name: "mc").Call(x0, training: true), name: "inner", seed: 14);
        var x = new Input(new TensorShape(50), "x");
        var outer = new Functional(x, inner.Call(x, training: false), name: "outer");

        float[] output = outer.Predict(Tensor.Ones(2, 50)).ToArray();

        Assert.Contains(0f, output);
    }

    [Fact]
    public void SaveAndLoad_CallsWithAMode_WriteKerasKwargsAndLoadThem()
    {
        var x = new Input(new TensorShape(5), "x");
        SymbolicTensor h = new Dropout(0.5, name: "drop").Call(x, training: false);
        var model = new Functional(x, new Dense(2, name: "out").Call(h), seed: 15);
        string path = Path.Combine(Path.GetTempPath(), $"training-arg-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            JsonNode config = JsonNode.Parse(SafeTensors.Load(path).Metadata["model_config"])!;
            JsonNode drop = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["name"] == "drop")!;
            Assert.False((bool)drop["inbound_nodes"]![0]!["kwargs"]!["training"]!);
            JsonNode dense = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["name"] == "out")!;
            Assert.Empty(dense["inbound_nodes"]![0]!["kwargs"]!.AsObject());

            Functional loaded = Functional.Load(path);
            Tensor data = Tensor.RandomNormal(new TensorShape(4, 5), 16);
            Tensor inference = loaded.Forward([data], training: false)[0].Clone();
            Assert.Equal(Bits(inference), Bits(loaded.Forward([data], training: true)[0]));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("\"yes\"", "\"training\" must be true, false or null")]
    [InlineData("1", "\"training\" must be true, false or null")]
    public void Load_TrainingKeywordNotABoolean_IsRefusedNamingIt(string value, string expected)
    {
        var x = new Input(new TensorShape(5), "x");
        var model = new Functional(x, new Dropout(0.5, name: "drop").Call(x, training: false), seed: 17);
        string path = Path.Combine(Path.GetTempPath(), $"training-arg-bad-{Guid.NewGuid():N}.safetensors");
        string edited = Path.Combine(Path.GetTempPath(), $"training-arg-edited-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            SafeTensorsFile file = SafeTensors.Load(path);
            var metadata = file.Metadata.ToDictionary(p => p.Key, p => p.Value);
            metadata["model_config"] = metadata["model_config"].Replace("\"training\":false", $"\"training\":{value}", StringComparison.Ordinal);
            Assert.Contains($"\"training\":{value}", metadata["model_config"]);
            SafeTensors.Save(edited, file.Names.Select(n => new KeyValuePair<string, Tensor>(n, file[n])).ToList(), metadata);

            var e = Assert.Throws<InvalidDataException>(() => Model.Load(edited));
            Assert.Contains(expected, e.Message);
            Assert.Contains("inbound_nodes[0]", e.Message);
        }
        finally
        {
            File.Delete(path);
            File.Delete(edited);
        }
    }

    [Fact]
    public void Predict_FromSeveralThreadsWithATrainingModeCall_RunsOneAtATime()
    {
        // Batch norm called with training: true updates its moving statistics in Predict; predictions from four threads
        // must update them as the same predictions one after another do (same input, so the order does not matter).
        static (Functional Model, BatchNormalization Norm) Build()
        {
            var x = new Input(new TensorShape(8), "x");
            var norm = new BatchNormalization(name: "bn");
            return (new Functional(x, norm.Call(new Dense(8, name: "d").Call(x), training: true), seed: 18), norm);
        }

        Tensor data = Tensor.RandomNormal(new TensorShape(16, 8), 19, mean: 2f);
        (Functional sequential, BatchNormalization sequentialNorm) = Build();
        for (int i = 0; i < 40; i++)
        {
            sequential.Predict(data);
        }

        (Functional concurrent, BatchNormalization concurrentNorm) = Build();
        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ => concurrent.Predict(data));

        Assert.Equal(Bits(sequentialNorm.Parameters[2].Value), Bits(concurrentNorm.Parameters[2].Value));
        Assert.Equal(Bits(sequentialNorm.Parameters[3].Value), Bits(concurrentNorm.Parameters[3].Value));
    }

    [Fact]
    public void Predict_BatchLargerThanAPass_TrainingModeCallSeesTheWholeBatch()
    {
        // Predict runs batches above 128 rows in passes, which a call fixed to training mode must not see: its batch
        // statistics are those of the whole batch, as Forward computes them.
        var x = new Input(new TensorShape(3), "x");
        var model = new Functional(x, new BatchNormalization(name: "bn").Call(x, training: true), seed: 20);
        Tensor data = Tensor.RandomNormal(new TensorShape(300, 3), 21);

        Tensor whole = model.Forward([data], training: false)[0].Clone();

        Assert.Equal(Bits(whole), Bits(model.Predict(data, batchSize: 300)));
    }
}
