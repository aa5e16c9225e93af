using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;
using static NeuralNet.Tests.Optimizers.KerasValues;

namespace NeuralNet.Tests.Optimizers;

/// <summary>ScheduleFreeAdamW against a float64 transcription of Keras' update_step, swap_to_eval and swap_to_train.</summary>
public class ScheduleFreeAdamWTests
{
    // 19 elements: a Vector<float> part and a scalar tail on every width.
    private const int Length = 19;

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Steps_match_a_float64_transcription_of_Keras_update_step(int warmup)
    {
        var random = new Random(7 + warmup);
        float[] w0 = [.. Enumerable.Range(0, Length).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        var p = Parameter("kernel", new TensorShape(Length), w0);
        const double lr = 0.05, b1 = 0.8, b2 = 0.95, eps = 1e-6;
        var optimizer = new ScheduleFreeAdamW((float)lr, (float)b1, (float)b2, (float)eps, warmup);
        double[] y = [.. w0.Select(x => (double)x)], z = [.. y], v = new double[Length];
        for (int t = 1; t <= 5; t++)
        {
            float[] g = [.. Enumerable.Range(0, Length).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            Gradient(p, g);
            optimizer.Step([p]);

            double rate = warmup > 0 ? lr * Math.Min((double)t / warmup, 1) : lr, correction = 1 - Math.Pow(b2, t), weight = 1.0 / t;
            for (int i = 0; i < Length; i++)
            {
                v[i] += ((g[i] * (double)g[i]) - v[i]) * (1 - b2);
                double zOld = z[i];
                z[i] -= rate * g[i] / (Math.Sqrt(v[i] / correction) + eps);
                double xOld = (y[i] - ((1 - b1) * zOld)) / b1;
                double x = ((1 - weight) * xOld) + (weight * z[i]);
                y[i] = ((1 - b1) * z[i]) + (b1 * x);
            }

            AssertClose(y, p.Value.ToArray(), 2e-5);
            AssertClose(z, optimizer.GetState(p)[0].ToArray(), 2e-5);
        }

        // Eval mode holds x = (y − (1 − β1) z) / β1; back in training mode, y again.
        double[] xs = [.. Enumerable.Range(0, Length).Select(i => (y[i] - ((1 - b1) * z[i])) / b1)];
        optimizer.SwapToEval();
        Assert.False(optimizer.IsTrainingMode);
        AssertClose(xs, p.Value.ToArray(), 2e-5);
        optimizer.SwapToEval();
        AssertClose(xs, p.Value.ToArray(), 2e-5);
        optimizer.SwapToTrain();
        AssertClose(y, p.Value.ToArray(), 2e-5);
    }

    [Fact]
    public void Z_starts_at_the_parameter_and_a_step_in_eval_mode_is_refused_before_anything_changes()
    {
        var p = Parameter("kernel", new TensorShape(3), [1f, 2f, 3f]);
        var optimizer = new ScheduleFreeAdamW(0.1f);
        Assert.Equal([1f, 2f, 3f], optimizer.GetState(p)[0].ToArray());
        Gradient(p, [1f, 1f, 1f]);
        optimizer.Step([p]);
        optimizer.SwapToEval();
        float[] held = p.Value.ToArray();
        Gradient(p, [1f, 1f, 1f]);

        var ex = Assert.Throws<InvalidOperationException>(() => optimizer.Step([p]));

        Assert.Contains("SwapToTrain", ex.Message, StringComparison.Ordinal);
        Assert.Equal(held, p.Value.ToArray());
        Assert.Equal([1f, 1f, 1f], p.Gradient.ToArray());
        Assert.Equal(1, optimizer.StepCount);
    }

    [Fact]
    public void Fit_in_eval_mode_is_refused_before_anything_runs_and_the_mode_survives_a_save()
    {
        var model = new Sequential([new InputLayer(3), new Dense(4), new Dense(1)], seed: 3);
        var optimizer = new ScheduleFreeAdamW(0.01f);
        optimizer.SwapToEval();
        Assert.True(optimizer.IsTrainingMode);
        model.Compile(optimizer, new NeuralNet.Losses.MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(16, 3), 1), y = Tensor.RandomNormal(new TensorShape(16, 1), 2);
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        optimizer.SwapToEval();
        float[] evalPoint = model.Predict(x).ToArray();
        bool began = false;
        var callback = new NeuralNet.Training.LambdaCallback(onTrainBegin: _ => began = true);

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, callbacks: [callback]));
        Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(x, y));

        Assert.Contains("SwapToTrain", ex.Message, StringComparison.Ordinal);
        Assert.False(began);
        Assert.Equal(evalPoint, model.Predict(x).ToArray());

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-sfadamw-eval-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            var restored = Assert.IsType<ScheduleFreeAdamW>(loaded.Optimizer);
            Assert.False(restored.IsTrainingMode);
            Assert.Equal(evalPoint, loaded.Predict(x).ToArray());
            optimizer.SwapToTrain();
            restored.SwapToTrain();
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            loaded.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Config_keras_form_training_and_resume_round_trip()
    {
        var optimizer = (ScheduleFreeAdamW)SerializationRegistry.Deserialize<Optimizer>(JsonNode.Parse("""
            {"module": "keras.optimizers", "class_name": "ScheduleFreeAdamW", "registered_name": null,
             "config": {"name": "schedule_free_adamw", "learning_rate": 0.01, "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null,
                        "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null,
                        "gradient_accumulation_steps": null, "beta_1": 0.85, "beta_2": 0.99, "epsilon": 1e-06, "warmup_steps": 10}}
            """)!, new Config(), "optimizer");
        Assert.Equal((0.01f, 0.85f, 0.99f, 1e-6f, 10, "schedule_free_adamw"), (optimizer.LearningRate, optimizer.Beta1, optimizer.Beta2, optimizer.Epsilon, optimizer.WarmupSteps, optimizer.Name));

        (Sequential model, Tensor x) = TrainSaveAndResume("schedule_free_adamw");
        var scheduleFree = Assert.IsType<ScheduleFreeAdamW>(model.Optimizer);

        // The average x is what to evaluate; evaluating it does not change the training point.
        float[] trainingPoint = model.Predict(x).ToArray();
        scheduleFree.SwapToEval();
        Assert.NotEqual(trainingPoint, model.Predict(x).ToArray());
        scheduleFree.SwapToTrain();
        Assert.Equal(trainingPoint, model.Predict(x).ToArray(), new NeuralNet.Tests.Layers.Tolerance(1e-5f));

        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleFreeAdamW(beta1: 0f)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleFreeAdamW(beta2: 1f)).ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleFreeAdamW(warmupSteps: -1)).ParamName);
    }
}
