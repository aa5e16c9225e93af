using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;
using static NeuralNet.Tests.Optimizers.KerasValues;

namespace NeuralNet.Tests.Optimizers;

/// <summary>
/// Adafactor against Keras' own values (keras/src/optimizers/adafactor_test.py: test_single_step_1d, test_single_step_2d,
/// test_weight_decay, test_correctness_with_golden) and a float64 transcription of its update_step on factored
/// (three-axis) and unfactored parameters.
/// </summary>
public class AdafactorTests
{
    [Fact]
    public void SingleStep_1D_MatchesKeras()
    {
        var p = Parameter("variable", new TensorShape(4), [1f, 2f, 3f, 4f]);
        Gradient(p, [1f, 6f, 7f, 2f]);

        new Adafactor(0.5f).Step([p]);

        AssertClose([-0.3693, 0.6307, 1.6307, 2.6307], p.Value.ToArray(), 1e-4);
    }

    [Fact]
    public void SingleStep_2D_MatchesKeras()
    {
        var p = Parameter("variable", new TensorShape(2, 2), [1f, 2f, 3f, 4f]);
        Gradient(p, [1f, 6f, 7f, 2f]);

        new Adafactor(0.5f).Step([p]);

        AssertClose([0.7007, -0.0081, 1.2492, 3.4407], p.Value.ToArray(), 1e-4);
    }

    [Fact]
    public void WeightDecay_MatchesKeras()
    {
        // Keras applies three optimizers to var1 (2.0, zero gradient): each decays it by lr·wd = 0.004 first, and a zero
        // gradient then moves nothing. var2 is excluded by name and stays.
        var var1 = Parameter("variable", new TensorShape(1), [2f]);
        var var2 = new Parameter("exclude", new TensorShape(1), true, null);
        var2.Value.Fill(2f);
        new Adafactor(1f) { WeightDecay = 0.004f }.Step([var1]);
        new Adafactor(1f) { WeightDecay = 0.004f, WeightDecayExclusions = ["exclude"] }.Step([var1, var2]);
        new Adafactor(1f) { WeightDecay = 0.004f, WeightDecayExclusions = ["exclude"] }.Step([var1, var2]);

        Assert.Equal(1.9760959, var1.Value[0], 6);
        Assert.Equal(2f, var2.Value[0]);
    }

    [Fact]
    public void Golden_MatchesKeras()
    {
        double[][] golden =
        [
            [0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55],
            [0.3031, 0.3026, 0.3025, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024],
            [0.1671, 0.1665, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663],
            [0.0923, 0.0916, 0.0915, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914],
            [0.0554, 0.0548, 0.0546, 0.0546, 0.0546, 0.0546, 0.0546, 0.0545, 0.0545, 0.0545],
        ];
        var optimizer = new Adafactor(0.5f, beta2Decay: -0.65f, epsilon1: 1e-15f, epsilon2: 1e-4f, clipThreshold: 0.9f, relativeStep: false);
        var x = Parameter("variable", new TensorShape(10), [.. Enumerable.Repeat(1f, 10)]);
        Gradient(x, [.. Enumerable.Repeat(0.01f, 10)]);
        optimizer.Step([x]);
        float[] grads = [.. Enumerable.Range(1, 10).Select(i => (float)(i * 0.1))];
        foreach (double[] expected in golden)
        {
            AssertClose(expected, x.Value.ToArray(), 5e-4);
            Gradient(x, grads);
            optimizer.Step([x]);
        }
    }

    [Theory]
    [InlineData(new[] { 3, 4, 5 })]
    [InlineData(new[] { 7, 3 })]
    [InlineData(new[] { 19 })]
    public void Steps_match_a_float64_transcription_of_Keras_update_step(int[] dims)
    {
        var shape = new TensorShape(dims);
        int n = shape.ElementCount;
        var random = new Random(11);
        float[] w0 = [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        var p = Parameter("variable", shape, w0);
        const double lr = 0.05, decay = -0.7, eps1 = 1e-20, eps2 = 1e-3, clip = 0.8;
        var optimizer = new Adafactor((float)lr, (float)decay, (float)eps1, (float)eps2, (float)clip);
        int columns = dims[^1], rows = dims.Length > 1 ? dims[^2] : 1, batches = n / (rows * columns);
        double[] w = [.. w0.Select(x => (double)x)], v = new double[n], r = new double[batches * rows], c = new double[batches * columns];
        bool clipped = false, unclipped = false;
        for (int t = 1; t <= 6; t++)
        {
            float[] g = [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1) * (t == 3 ? 5f : 1f))];
            Gradient(p, g);
            optimizer.Step([p]);

            double rho = Math.Min(lr, 1 / Math.Sqrt(t));
            double alpha = Math.Max(eps2, Math.Sqrt(w.Sum(x => x * x) / n)) * rho;
            double beta = 1 - Math.Pow(t, decay);
            double[] square = [.. g.Select(x => ((double)x * x) + eps1)];
            if (dims.Length >= 2)
            {
                for (int b = 0; b < batches; b++)
                {
                    for (int i = 0; i < rows; i++)
                    {
                        double mean = Enumerable.Range(0, columns).Average(j => square[(((b * rows) + i) * columns) + j]);
                        r[(b * rows) + i] = (beta * r[(b * rows) + i]) + ((1 - beta) * mean);
                    }

                    for (int j = 0; j < columns; j++)
                    {
                        double mean = Enumerable.Range(0, rows).Average(i => square[(((b * rows) + i) * columns) + j]);
                        c[(b * columns) + j] = (beta * c[(b * columns) + j]) + ((1 - beta) * mean);
                    }

                    double rowMean = Enumerable.Range(0, rows).Average(i => r[(b * rows) + i]);
                    for (int i = 0; i < rows; i++)
                    {
                        for (int j = 0; j < columns; j++)
                        {
                            v[(((b * rows) + i) * columns) + j] = r[(b * rows) + i] / rowMean * c[(b * columns) + j];
                        }
                    }
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    v[i] = (beta * v[i]) + ((1 - beta) * square[i]);
                }
            }

            double[] u = [.. Enumerable.Range(0, n).Select(i => g[i] / Math.Sqrt(v[i]))];
            double scale = Math.Max(1, Math.Sqrt(u.Sum(x => x * x) / n) / clip);
            (clipped, unclipped) = (clipped || scale > 1, unclipped || scale == 1);
            for (int i = 0; i < n; i++)
            {
                w[i] -= alpha * u[i] / scale;
            }

            AssertClose(w, p.Value.ToArray(), 2e-5);
        }

        // Both branches of max(1, rms(u) / clip) ran.
        Assert.Equal((true, true), (clipped, unclipped));
    }

    [Fact]
    public void State_is_factored_over_the_last_two_axes_as_Keras_builds_it()
    {
        var adafactor = new Adafactor();
        Assert.Equal(["r", "c", "velocity"], adafactor.StateSlotNames);
        var kernel = new Parameter("kernel", new TensorShape(2, 3, 5), true, null);
        var bias = new Parameter("bias", new TensorShape(5), true, null);
        Tensor.RandomNormal(kernel.Shape, 3).CopyTo(kernel.Gradient);
        adafactor.Step([kernel, bias]);

        IReadOnlyList<Tensor> kernelState = adafactor.GetState(kernel), biasState = adafactor.GetState(bias);
        Assert.Equal([new TensorShape(2, 3), new TensorShape(2, 5), new TensorShape(2, 3, 5)], kernelState.Select(s => s.Shape));
        Assert.Equal([new TensorShape(), new TensorShape(), new TensorShape(5)], biasState.Select(s => s.Shape));
        Assert.Equal([0f], biasState[0].ToArray());
        Assert.Contains(kernelState[0].ToArray(), x => x > 0f);

        // The factored moments hold 2·3 + 2·5 scalars instead of 30, beside the velocity.
        Assert.Equal(6 + 10 + 30 + 1 + 1 + 5, adafactor.StateElementCount);
    }

    [Fact]
    public void SetState_refuses_a_factored_moment_of_the_parameter_shape_naming_both_shapes()
    {
        var adafactor = new Adafactor();
        var kernel = new Parameter("kernel", new TensorShape(4, 3), true, null);
        Tensor[] wrong = [new Tensor(new TensorShape(4, 3)), new Tensor(new TensorShape(3)), new Tensor(new TensorShape(4, 3))];
        var ex = Assert.Throws<ArgumentException>(() => adafactor.SetState(5, [new(kernel, wrong)]));
        Assert.Contains("'r' tensor is (4, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"keeps it as {new TensorShape(4)} for a parameter of (4, 3)", ex.Message, StringComparison.Ordinal);
        Assert.False(adafactor.HasState);

        Tensor[] right = [Tensor.FromArray([1f, 2f, 3f, 4f], 4), Tensor.FromArray([1f, 1f, 1f], 3), new Tensor(new TensorShape(4, 3))];
        adafactor.SetState(5, [new(kernel, right)]);
        Assert.Equal([1f, 2f, 3f, 4f], adafactor.GetState(kernel)[0].ToArray());
    }

    [Fact]
    public void Step_on_a_factored_parameter_allocates_nothing_after_the_first()
    {
        var adafactor = new Adafactor();
        var kernel = new Parameter("kernel", new TensorShape(4, 16, 33), true, null);
        var bias = new Parameter("bias", new TensorShape(33), true, null);
        IReadOnlyList<Parameter> list = [kernel, bias];
        adafactor.Step(list);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                kernel.Gradient.Fill(0.25f);
                adafactor.Step(list);
            }
        });
    }

    [Fact]
    public void Config_keras_form_training_and_resume_round_trip()
    {
        var optimizer = (Adafactor)SerializationRegistry.Deserialize<Optimizer>(JsonNode.Parse("""
            {"module": "keras.optimizers", "class_name": "Adafactor", "registered_name": null,
             "config": {"name": "adafactor", "learning_rate": 0.5, "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null,
                        "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null,
                        "gradient_accumulation_steps": null, "beta_2_decay": -0.65, "epsilon_1": 1e-15, "epsilon_2": 0.0001,
                        "clip_threshold": 0.9, "relative_step": false}}
            """)!, new Config(), "optimizer");
        Assert.Equal((0.5f, -0.65f, 1e-15f, 1e-4f, 0.9f, false, "adafactor"),
            (optimizer.LearningRate, optimizer.Beta2Decay, optimizer.Epsilon1, optimizer.Epsilon2, optimizer.ClipThreshold, optimizer.RelativeStep, optimizer.Name));
        Config config = optimizer.GetConfig();
        Assert.Equal((-0.65f, 1e-15f, 1e-4f, 0.9f, false),
            (config.GetSingle("beta_2_decay"), config.GetSingle("epsilon_1"), config.GetSingle("epsilon_2"), config.GetSingle("clip_threshold"), config.GetBoolean("relative_step")));

        (Sequential model, _) = TrainSaveAndResume("adafactor", loaded =>
        {
            Parameter kernel = loaded.Parameters.First(p => p.Shape.Rank == 2);
            Assert.Equal(new TensorShape(kernel.Shape[0]), loaded.Optimizer!.GetState(kernel)[0].Shape);
        });
        Assert.IsType<Adafactor>(model.Optimizer);
    }

    [Fact]
    public void Bad_hyper_parameters_are_refused_naming_them()
    {
        Assert.Equal("beta2Decay", Assert.Throws<ArgumentOutOfRangeException>(() => new Adafactor(beta2Decay: 0.5f)).ParamName);
        Assert.Equal("beta2Decay", Assert.Throws<ArgumentOutOfRangeException>(() => new Adafactor(beta2Decay: float.NaN)).ParamName);
        Assert.Equal("epsilon1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adafactor(epsilon1: -1f)).ParamName);
        Assert.Equal("epsilon2", Assert.Throws<ArgumentOutOfRangeException>(() => new Adafactor(epsilon2: float.PositiveInfinity)).ParamName);
        Assert.Equal("clipThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => new Adafactor(clipThreshold: 0f)).ParamName);
        var defaults = new Adafactor();
        Assert.Equal((0.001f, -0.8f, 1e-30f, 1e-3f, 1f, true), (defaults.LearningRate, defaults.Beta2Decay, defaults.Epsilon1, defaults.Epsilon2, defaults.ClipThreshold, defaults.RelativeStep));
    }
}
