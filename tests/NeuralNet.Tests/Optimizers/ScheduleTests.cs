using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Optimizers.Schedules;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>Each learning-rate schedule against Keras' formula at chosen steps, worked by hand; schedules in optimizers, files and callbacks.</summary>
public class ScheduleTests
{
    public static TheoryData<string, long, double> Points => new()
    {
        { "exponential", 0, 0.1 },
        { "exponential", 5, 0.1 * Math.Sqrt(0.5) },
        { "exponential", 20, 0.025 },
        { "exponential_staircase", 15, 0.05 },
        { "inverse_time", 2, 0.05 },
        { "inverse_time_staircase", 7, 0.05 },
        { "polynomial", 5, 0.055 },
        { "polynomial", 20, 0.01 },
        { "polynomial_sqrt", 5, (0.09 * Math.Sqrt(0.5)) + 0.01 },
        { "polynomial_cycle", 0, 0.1 },
        { "polynomial_cycle", 15, (0.09 * 0.25) + 0.01 },
        { "piecewise", 0, 1.0 },
        { "piecewise", 10, 1.0 },
        { "piecewise", 11, 0.5 },
        { "piecewise", 20, 0.5 },
        { "piecewise", 21, 0.1 },
        { "cosine", 50, 0.05 },
        { "cosine", 100, 0.0 },
        { "cosine", 250, 0.0 },
        { "cosine_alpha", 100, 0.01 },
        { "cosine_warmup", 5, 0.05 },
        { "cosine_warmup", 10, 0.1 },
        { "cosine_warmup", 60, 0.05 },
        { "cosine_warmup", 500, 0.0 },
        { "restarts", 0, 0.1 },
        { "restarts", 5, 0.05 },
        { "restarts", 10, 0.05 },
        { "restarts", 20, 0.025 },
        { "restarts_equal_lengths", 15, 0.05 },
    };

    [Theory]
    [MemberData(nameof(Points))]
    public void Schedules_follow_keras_formulas(string schedule, long step, double expected)
    {
        LearningRateSchedule s = schedule switch
        {
            "exponential" => new ExponentialDecay(0.1, 10, 0.5),
            "exponential_staircase" => new ExponentialDecay(0.1, 10, 0.5, staircase: true),
            "inverse_time" => new InverseTimeDecay(0.1, 1, 0.5),
            "inverse_time_staircase" => new InverseTimeDecay(0.1, 4, 1.0, staircase: true),
            "polynomial" => new PolynomialDecay(0.1, 10, 0.01),
            "polynomial_sqrt" => new PolynomialDecay(0.1, 10, 0.01, power: 0.5),
            "polynomial_cycle" => new PolynomialDecay(0.1, 10, 0.01, cycle: true),
            "piecewise" => new PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
            "cosine" => new CosineDecay(0.1, 100),
            "cosine_alpha" => new CosineDecay(0.1, 100, alpha: 0.1),
            "cosine_warmup" => new CosineDecay(0.0, 100, warmupTarget: 0.1, warmupSteps: 10),
            "restarts" => new CosineDecayRestarts(0.1, 10, tMul: 2, mMul: 0.5),
            _ => new CosineDecayRestarts(0.1, 10, tMul: 1),
        };
        Assert.Equal(expected, s.Rate(step), 12);
    }

    [Fact]
    public void An_optimizer_uses_the_rate_at_the_steps_taken_before_each_step()
    {
        var sgd = new Sgd { Schedule = new PiecewiseConstantDecay([1], [0.5, 0.1]) };
        var w = new Parameter("w", new TensorShape(1), true, null);
        w.Value[0] = 1f;
        float[] seen = new float[3];
        for (int step = 0; step < 3; step++)
        {
            seen[step] = (float)sgd.LearningRate;
            w.Gradient[0] = 1f;
            sgd.Step([w]);
        }

        // Rates 0.5 (0 steps taken), 0.5 (1 step: 1 <= boundary 1), 0.1: w = 1 - 0.5 - 0.5 - 0.1.
        Assert.Equal([0.5f, 0.5f, 0.1f], seen);
        Assert.Equal(-0.1f, w.Value[0], 6);
        var error = Assert.Throws<InvalidOperationException>(() => sgd.LearningRate = 0.2f);
        Assert.Contains("follows its schedule (PiecewiseConstantDecay)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_the_rate_after_a_step_gives_the_next_steps_rate()
    {
        // docs/optimizers.md: as Keras' optimizer.learning_rate, the rate read after a step is the one the next step uses.
        var sgd = new Sgd { Schedule = new ExponentialDecay(1, 1, 0.5) };
        var w = new Parameter("w", new TensorShape(1), true, null);
        w.Gradient[0] = 1f;

        Assert.Equal(1f, sgd.LearningRate);
        sgd.Step([w]);

        Assert.Equal(-1f, w.Value[0]);
        Assert.Equal(0.5f, sgd.LearningRate);
        w.Gradient[0] = 1f;
        sgd.Step([w]);
        Assert.Equal(-1.5f, w.Value[0]);
    }

    [Fact]
    public void A_schedule_saves_and_loads_with_the_model_and_resumes_at_its_step()
    {
        var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
        model.Compile(new Adam { Schedule = new CosineDecay(0.0, 100, alpha: 0.2, warmupTarget: 0.01, warmupSteps: 10) }, new MeanSquaredError());
        model.Fit(Tensor.RandomNormal(new TensorShape(64, 3), 1), Tensor.RandomNormal(new TensorShape(64, 2), 2), epochs: 1, batchSize: 16, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-schedule-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            var schedule = Assert.IsType<CosineDecay>(loaded.Optimizer!.Schedule);
            Assert.Equal((0.0, 100.0, 0.2, (double?)0.01, 10.0), (schedule.InitialLearningRate, schedule.DecaySteps, schedule.Alpha, schedule.WarmupTarget, schedule.WarmupSteps));
            Assert.Equal(4, loaded.Optimizer.Iterations);
            Assert.Equal(model.Optimizer!.LearningRate, loaded.Optimizer.LearningRate);
            Assert.Equal(0.004f, loaded.Optimizer.LearningRate, 7);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Piecewise_and_exponential_round_trip_their_configurations()
    {
        foreach (LearningRateSchedule s in new LearningRateSchedule[] { new PiecewiseConstantDecay([3, 9], [0.3, 0.2, 0.1]), new ExponentialDecay(0.1, 7, 0.9, true), new CosineDecayRestarts(0.1, 5, 1.5, 0.9, 0.01), new PolynomialDecay(0.2, 9, 0.02, 2, true), new InverseTimeDecay(0.1, 3, 0.2) })
        {
            using var json = System.Text.Json.JsonDocument.Parse(s.Serialize().ToJson());
            LearningRateSchedule back = LearningRateSchedule.FromConfig(NeuralNet.Serialization.Config.FromJson(json.RootElement, "test", "schedule"));
            Assert.Equal(s.GetType(), back.GetType());
            for (long step = 0; step < 30; step += 3)
            {
                Assert.Equal(s.Rate(step), back.Rate(step), 12);
            }
        }
    }

    [Fact]
    public void Keras_config_with_float_decay_steps_loads()
    {
        // InverseTimeDecay's docstring passes decay_steps=1.0, and Keras writes back what it was given.
        LearningRateSchedule s = FromJson("""{"class_name":"InverseTimeDecay","config":{"initial_learning_rate":0.1,"decay_steps":1.0,"decay_rate":0.5}}""");
        var inverse = Assert.IsType<InverseTimeDecay>(s);
        Assert.Equal(1.0, inverse.DecaySteps);
        Assert.Equal(0.05, s.Rate(2), 15);

        // The same through an optimizer's configuration.
        var keras = System.Text.Json.Nodes.JsonNode.Parse("""{"class_name": "SGD", "config": {"learning_rate": {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10.0, "decay_rate": 0.5, "staircase": false, "name": "ExponentialDecay"}}}}""")!;
        Optimizer sgd = NeuralNet.Serialization.SerializationRegistry.Deserialize<Optimizer>(keras, new NeuralNet.Serialization.Config(), "optimizer");
        Assert.Equal(0.05, sgd.Schedule!.Rate(10), 15);
    }

    public static TheoryData<string, long, double> FloatStepConfigs => new()
    {
        // Every step count as a float: integral ones, and fractions where Keras' formula divides by them.
        { """{"class_name":"ExponentialDecay","config":{"initial_learning_rate":0.1,"decay_steps":2.5,"decay_rate":0.5}}""", 5, 0.025 },
        { """{"class_name":"ExponentialDecay","config":{"initial_learning_rate":0.1,"decay_steps":2.5,"decay_rate":0.5,"staircase":true}}""", 4, 0.05 },
        { """{"class_name":"InverseTimeDecay","config":{"initial_learning_rate":0.1,"decay_steps":0.5,"decay_rate":1.0}}""", 2, 0.02 },
        { """{"class_name":"PolynomialDecay","config":{"initial_learning_rate":0.1,"decay_steps":4.0,"end_learning_rate":0.0}}""", 1, 0.075 },
        { """{"class_name":"PolynomialDecay","config":{"initial_learning_rate":0.1,"decay_steps":2.5,"end_learning_rate":0.0,"cycle":true}}""", 4, 0.02 },
        { """{"class_name":"CosineDecay","config":{"initial_learning_rate":0.1,"decay_steps":100.0,"warmup_target":null,"warmup_steps":0.0}}""", 50, 0.05 },
        { """{"class_name":"CosineDecay","config":{"initial_learning_rate":0.0,"decay_steps":10.0,"warmup_target":0.1,"warmup_steps":2.5}}""", 1, 0.04 },
        { """{"class_name":"CosineDecayRestarts","config":{"initial_learning_rate":0.1,"first_decay_steps":10.0,"t_mul":3.0}}""", 1210, 0.1 },
        { """{"class_name":"CosineDecayRestarts","config":{"initial_learning_rate":0.1,"first_decay_steps":2.5,"t_mul":1.0}}""", 5, 0.1 },
        { """{"class_name":"PiecewiseConstantDecay","config":{"boundaries":[10.0,20.0],"values":[1.0,0.5,0.1]}}""", 20, 0.5 },
        { """{"class_name":"PiecewiseConstantDecay","config":{"boundaries":[10.0,20.0],"values":[1.0,0.5,0.1]}}""", 21, 0.1 },

        // Keras casts the boundaries to the step's integer type, toward zero: 20.7 acts as 20.
        { """{"class_name":"PiecewiseConstantDecay","config":{"boundaries":[10,20.7],"values":[1.0,0.5,0.1]}}""", 20, 0.5 },
        { """{"class_name":"PiecewiseConstantDecay","config":{"boundaries":[10,20.7],"values":[1.0,0.5,0.1]}}""", 21, 0.1 },
    };

    [Theory]
    [MemberData(nameof(FloatStepConfigs))]
    public void Keras_configs_with_float_step_counts_load_and_follow_the_formula(string json, long step, double expected)
    {
        LearningRateSchedule s = FromJson(json);
        Assert.Equal(expected, s.Rate(step), 12);

        // Written back (whole counts as integers, as before) and read again: the same rates.
        using var written = System.Text.Json.JsonDocument.Parse(s.Serialize().ToJson());
        LearningRateSchedule back = LearningRateSchedule.FromConfig(NeuralNet.Serialization.Config.FromJson(written.RootElement, "test", "schedule"));
        Assert.Equal(s.Rate(step), back.Rate(step));
    }

    [Theory]
    [InlineData("PiecewiseConstantDecay", "PiecewiseConstant")]
    [InlineData("CosineDecayRestarts", "SGDRDecay")]
    [InlineData("ExponentialDecay", "ExponentialDecay")]
    [InlineData("InverseTimeDecay", "InverseTimeDecay")]
    [InlineData("PolynomialDecay", "PolynomialDecay")]
    [InlineData("CosineDecay", "CosineDecay")]
    public void Saved_name_is_keras_default_name(string className, string name)
    {
        // Keras' defaults: name="PiecewiseConstant" and name="SGDRDecay"; the others are named after their class.
        LearningRateSchedule schedule = className switch
        {
            "PiecewiseConstantDecay" => new PiecewiseConstantDecay([3], [0.2, 0.1]),
            "CosineDecayRestarts" => new CosineDecayRestarts(0.1, 10),
            "ExponentialDecay" => new ExponentialDecay(0.1, 10, 0.5),
            "InverseTimeDecay" => new InverseTimeDecay(0.1, 10, 0.5),
            "PolynomialDecay" => new PolynomialDecay(0.1, 10),
            _ => new CosineDecay(0.1, 10),
        };
        NeuralNet.Serialization.Config written = schedule.Serialize();
        Assert.Equal(className, written.GetString("class_name"));
        Assert.Equal(name, written.GetConfig("config").GetString("name"));
    }

    [Fact]
    public void Whole_step_counts_are_still_written_as_integers()
    {
        Assert.Contains("\"decay_steps\":1,", new InverseTimeDecay(0.1, 1, 0.5).Serialize().ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"warmup_steps\":0", new CosineDecay(0.1, 100.0).Serialize().ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"decay_steps\":2.5,", new ExponentialDecay(0.1, 2.5, 0.5).Serialize().ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_step_counts_in_a_config_are_refused()
    {
        Assert.Throws<InvalidDataException>(() => FromJson("""{"class_name":"ExponentialDecay","config":{"initial_learning_rate":0.1,"decay_steps":0.0,"decay_rate":0.5}}"""));
        Assert.Throws<InvalidDataException>(() => FromJson("""{"class_name":"ExponentialDecay","config":{"initial_learning_rate":0.1,"decay_steps":"10","decay_rate":0.5}}"""));
        Assert.Throws<InvalidDataException>(() => FromJson("""{"class_name":"PiecewiseConstantDecay","config":{"boundaries":[1e30],"values":[1.0,0.5]}}"""));
        Assert.Throws<InvalidDataException>(() => FromJson("""{"class_name":"PiecewiseConstantDecay","config":{"boundaries":["a"],"values":[1.0,0.5]}}"""));
        Assert.Throws<InvalidDataException>(() => FromJson("""{"class_name":"CosineDecay","config":{"initial_learning_rate":0.1,"decay_steps":10,"warmup_steps":-1.5}}"""));
    }

    private static LearningRateSchedule FromJson(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return LearningRateSchedule.FromConfig(NeuralNet.Serialization.Config.FromJson(document.RootElement, "test", "schedule"));
    }

    [Theory]
    [InlineData(3.0, 1210)] // 10 + 30 + 90 + 270 + 810: log(243) / log(3) is just below 5 in float64
    [InlineData(10.0, 1110)] // 10 + 100 + 1000: log(1000) / log(10) = 2.9999999999999996
    public void CosineDecayRestarts_at_an_exact_restart_starts_the_next_period(double tMul, long step)
    {
        var schedule = new CosineDecayRestarts(0.1, 10, tMul: tMul);
        Assert.Equal(0.1, schedule.Rate(step));
        Assert.True(schedule.Rate(step - 1) < 1e-4, $"the step before the restart ends the previous period: {schedule.Rate(step - 1)}");
        Assert.Equal(0.05, schedule.Rate(step + (long)(5 * Math.Pow(tMul, Math.Round(Math.Log(1 + ((step / 10.0) * (tMul - 1))) / Math.Log(tMul))))), 12);
    }

    [Fact]
    public void CosineDecayRestarts_every_restart_boundary_up_to_1e15_steps_starts_a_period()
    {
        // Period k starts after first · (1 + t + ... + t^(k-1)) steps, where the rate is initial · mMul^k exactly (cos 0 = 1),
        // and the step before it is the end of period k − 1.
        foreach (long first in new long[] { 1, 7, 10 })
        {
            for (int t = 2; t <= 12; t++)
            {
                var schedule = new CosineDecayRestarts(0.1, first, tMul: t, mMul: 0.5);
                long periods = 1, length = 1;
                for (int k = 1; first * periods < 1_000_000_000_000_000; k++)
                {
                    long boundary = first * periods;
                    Assert.True(Math.Abs((schedule.Rate(boundary) / (0.1 * Math.Pow(0.5, k))) - 1) <= 1e-12, $"first {first}, tMul {t}, restart {k} at step {boundary}: {schedule.Rate(boundary)}");
                    if (first * length >= 3)
                    {
                        // The last step of a period of P >= 3 steps: ½(1 + cos(π (P − 1) / P)) < ½ of the period's start.
                        Assert.True(schedule.Rate(boundary - 1) < 0.1 * Math.Pow(0.5, k - 1) * 0.5, $"first {first}, tMul {t}, step {boundary - 1} before restart {k}: {schedule.Rate(boundary - 1)}");
                    }

                    length *= t;
                    periods += length;
                }
            }
        }
    }

    [Fact]
    public void Bad_schedules_are_refused_with_the_parameter_named()
    {
        Assert.Equal("decaySteps", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1, 0, 0.5)).ParamName);
        Assert.Equal("firstDecaySteps", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecayRestarts(0.1, -1)).ParamName);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([1, 2], [0.1, 0.2])).ParamName);
        Assert.Equal("boundaries", Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([5, 2], [0.1, 0.2, 0.3])).ParamName);
    }

    [Fact]
    public void The_scheduler_callback_sets_the_rate_each_epoch()
    {
        var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        var output = new StringWriter();
        model.Fit(Tensor.RandomNormal(new TensorShape(32, 3), 1), Tensor.RandomNormal(new TensorShape(32, 2), 2), epochs: 3, batchSize: 16, verbose: 0,
            callbacks: [new LearningRateScheduler((epoch, rate) => 0.1 / (epoch + 1), verbose: 1, output: output)]);
        Assert.Equal((float)(0.1 / 3), model.Optimizer!.LearningRate);
        Assert.Equal(3, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
