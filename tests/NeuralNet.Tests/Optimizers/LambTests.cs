using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;
using static NeuralNet.Tests.Optimizers.KerasValues;

namespace NeuralNet.Tests.Optimizers;

/// <summary>
/// Lamb against Keras' own values (keras/src/optimizers/lamb_test.py: test_single_step, test_correctness_with_golden) and
/// a float64 transcription of its update_step. Lamb's trust ratio reads a whole tensor, so Keras' vectors are used as
/// they are, not repeated as in <see cref="KerasGoldenTests"/>.
/// </summary>
public class LambTests
{
    [Fact]
    public void SingleStep_MatchesKeras()
    {
        // Lamb(learning_rate=0.5); vars [1, 2, 3, 4]; grads [1, 6, 7, 2]: the direction is sign(g) = 1, ‖u‖ = 2,
        // ‖w‖ = √30, so each weight moves by 0.5 · √30 / 2 = 1.3693.
        var p = Vector([1f, 2f, 3f, 4f]);
        Gradient(p, [1f, 6f, 7f, 2f]);

        new Lamb(0.5f).Step([p]);

        AssertClose([-0.3693, 0.6306, 1.6306, 2.6306], p.Value.ToArray(), 1e-4);
    }

    [Fact]
    public void Golden_MatchesKeras()
    {
        // x = ones(10); one step with gradients 0.01, then golden[i] before step i + 1 with gradients arange(0.1, 1.1, 0.1).
        double[] golden = [0.999, 0.9982, 0.9974, 0.9965, 0.9955];
        var optimizer = new Lamb();
        var x = Vector(Enumerable.Repeat(1f, 10).ToArray());
        Gradient(x, Enumerable.Repeat(0.01f, 10).ToArray());
        optimizer.Step([x]);
        float[] grads = [.. Enumerable.Range(1, 10).Select(i => (float)(i * 0.1))];
        foreach (double expected in golden)
        {
            AssertClose(Enumerable.Repeat(expected, 10).ToArray(), x.Value.ToArray(), 5e-4);
            Gradient(x, grads);
            optimizer.Step([x]);
        }
    }

    [Fact]
    public void Steps_match_a_float64_transcription_of_Keras_update_step()
    {
        var random = new Random(4);
        float[] w0 = [.. Enumerable.Range(0, 37).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        var p = Vector(w0);
        var optimizer = new Lamb(0.01f, beta1: 0.8f, beta2: 0.95f, epsilon: 1e-6f);
        double[] w = [.. w0.Select(v => (double)v)], m = new double[w.Length], v = new double[w.Length];
        for (int t = 1; t <= 6; t++)
        {
            float[] g = [.. Enumerable.Range(0, w.Length).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            Gradient(p, g);
            optimizer.Step([p]);

            double[] update = new double[w.Length];
            for (int i = 0; i < w.Length; i++)
            {
                m[i] += (g[i] - m[i]) * (1 - 0.8);
                v[i] += ((g[i] * (double)g[i]) - v[i]) * (1 - 0.95);
                update[i] = (m[i] / (1 - Math.Pow(0.8, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(0.95, t))) + 1e-6);
            }

            double wNorm = Math.Sqrt(w.Sum(x => x * x)), uNorm = Math.Sqrt(update.Sum(x => x * x));
            double ratio = wNorm > 0 && uNorm > 0 ? wNorm / uNorm : 1;
            for (int i = 0; i < w.Length; i++)
            {
                w[i] -= ratio * 0.01 * update[i];
            }

            AssertClose(w, p.Value.ToArray(), 1e-5);
        }
    }

    [Fact]
    public void A_zero_tensor_moves_by_the_plain_rate()
    {
        // ‖w‖ = 0: Keras' ratio is 1, so the first step moves each weight by lr · sign(g).
        var p = Vector([0f, 0f, 0f]);
        Gradient(p, [2f, -3f, 0f]);
        new Lamb(0.1f).Step([p]);
        AssertClose([-0.1, 0.1, 0], p.Value.ToArray(), 1e-6);
    }

    [Fact]
    public void Config_keras_form_and_training_round_trip()
    {
        var optimizer = (Lamb)SerializationRegistry.Deserialize<Optimizer>(JsonNode.Parse("""
            {"module": "keras.optimizers", "class_name": "Lamb", "registered_name": null,
             "config": {"name": "lamb", "learning_rate": 0.5, "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null,
                        "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null,
                        "gradient_accumulation_steps": null, "beta_1": 0.5, "beta_2": 0.67, "epsilon": 1e-05}}
            """)!, new Config(), "optimizer");
        Assert.Equal((0.5f, 0.5f, 0.67f, 1e-5f, "lamb"), (optimizer.LearningRate, optimizer.Beta1, optimizer.Beta2, optimizer.Epsilon, optimizer.Name));

        var model = new Sequential([new InputLayer(3), new Dense(4, NeuralNet.Activations.ActivationFunction.Tanh), new Dense(1)], seed: 2);
        model.Compile("lamb", "mse");
        Assert.IsType<Lamb>(model.Optimizer);
        Tensor x = Tensor.RandomNormal(new TensorShape(32, 3), 1), y = Tensor.RandomNormal(new TensorShape(32, 1), 2);
        History history = model.Fit(x, y, epochs: 5, batchSize: 8, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0], "Lamb lowers the loss");
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-lamb-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            model.Fit(x, y, epochs: 1, batchSize: 8, shuffle: false, verbose: 0);
            loaded.Fit(x, y, epochs: 1, batchSize: 8, shuffle: false, verbose: 0);
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new Lamb(beta1: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Lamb(epsilon: -1f));
    }

    private static Parameter Vector(float[] values) => Parameter("variable", new TensorShape(values.Length), values);
}
