using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>AdamW and the decoupled weight decay of every optimizer, against Keras' formulas worked step by step.</summary>
public class WeightDecayTests
{
    private static readonly float[][] Gradients = [[0.5f, -1f, 2f], [0.25f, 0.5f, -3f], [-1f, 0.1f, 1f]];

    [Fact]
    public void AdamW_matches_keras_for_three_steps()
    {
        const double lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        double[] w = [1.0, -2.0, 0.5], m = new double[3], v = new double[3];
        var adamw = new AdamW(0.01f, weightDecay: 0.1f);
        Parameter p = NewParameter("kernel", [1f, -2f, 0.5f]);
        for (int t = 1; t <= 3; t++)
        {
            for (int i = 0; i < 3; i++)
            {
                double g = Gradients[t - 1][i];
                w[i] -= w[i] * wd * lr;
                m[i] += (g - m[i]) * (1 - b1);
                v[i] += ((g * g) - v[i]) * (1 - b2);
                double alpha = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
                w[i] -= alpha * m[i] / (Math.Sqrt(v[i]) + eps);
            }

            Gradients[t - 1].CopyTo(p.Gradient.AsSpan());
            adamw.Step([p]);
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(w[i], p.Value[i], 5);
        }
    }

    [Fact]
    public void Excluded_parameters_get_no_decay_and_other_optimizers_decay_too()
    {
        var adamw = new AdamW(0.01f, weightDecay: 0.1f) { WeightDecayExclusions = ["bias"] };
        var adam = new Adam(0.01f);
        Parameter decayed = NewParameter("bias", [1f, -2f, 0.5f]), plain = NewParameter("bias", [1f, -2f, 0.5f]);
        for (int t = 0; t < 3; t++)
        {
            Gradients[t].CopyTo(decayed.Gradient.AsSpan());
            Gradients[t].CopyTo(plain.Gradient.AsSpan());
            adamw.Step([decayed]);
            adam.Step([plain]);
        }

        Assert.Equal(plain.Value.ToArray(), decayed.Value.ToArray());

        var sgd = new Sgd(0.1f) { WeightDecay = 0.5f };
        Parameter w = NewParameter("kernel", [1f, -4f, 0f]);
        sgd.Step([w]);
        Assert.Equal([0.95f, -3.8f, 0f], w.Value.ToArray());
    }

    [Fact]
    public void Weight_decay_saves_loads_and_resolves_from_keras_identifiers()
    {
        var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
        model.Compile(new AdamW(0.002f, weightDecay: 0.01f), new MeanSquaredError());
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-adamw-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            var adamw = Assert.IsType<AdamW>(Model.Load(path).Optimizer);
            Assert.Equal((0.002f, 0.01f), (adamw.LearningRate, adamw.WeightDecay!.Value));

            model.Compile(new Sgd { WeightDecay = 0.25f }, new MeanSquaredError());
            model.Save(path);
            Assert.Equal(0.25f, Assert.IsType<Sgd>(Model.Load(path).Optimizer).WeightDecay);
        }
        finally
        {
            File.Delete(path);
        }

        model.Compile("adamw", "mse");
        Assert.Equal(0.004f, Assert.IsType<AdamW>(model.Optimizer).WeightDecay);
        Assert.Null(new Adam().WeightDecay);
        Assert.Equal("WeightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam { WeightDecay = -1f }).ParamName);
    }

    [Fact]
    public void AdamW_refuses_a_null_weight_decay_as_keras()
    {
        // Keras' AdamW: "Argument `weight_decay` must be a float. Received: weight_decay=None". It used to act as Adam.
        var ex = Assert.Throws<ArgumentNullException>(() => new AdamW { WeightDecay = null });
        Assert.Equal("WeightDecay", ex.ParamName);
        Assert.Contains("weight_decay=None", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0f, new AdamW { WeightDecay = 0f }.WeightDecay);
        Assert.Null(new Adam { WeightDecay = null }.WeightDecay);

        // A Keras AdamW configuration with "weight_decay": null is refused too.
        var keras = System.Text.Json.Nodes.JsonNode.Parse("""{"class_name": "AdamW", "config": {"learning_rate": 0.001, "weight_decay": null}}""")!;
        Assert.Throws<InvalidDataException>(() => NeuralNet.Serialization.SerializationRegistry.Deserialize<Optimizer>(keras, new NeuralNet.Serialization.Config(), "optimizer"));
    }

    [Fact]
    public void Exclusions_are_regular_expressions_searched_in_the_name_as_keras()
    {
        // Keras: re.search("|".join(set(var_names)), variable.name). "^b" excludes bias and beta, not kernel; with a
        // substring test it excluded nothing.
        string[] names = ["kernel", "bias", "gamma", "beta", "moving_mean"];
        Assert.Equal(["kernel", "gamma", "moving_mean"], Decayed(["^b"], names));
        Assert.Equal(["kernel", "beta", "moving_mean"], Decayed(["bias|gamma"], names));
        Assert.Equal(["bias", "gamma", "beta", "moving_mean"], Decayed(["ker.el"], names));
        Assert.Equal(["kernel", "gamma", "beta"], Decayed(["bias", "_mean$", "bias"], names));
        Assert.Equal(names, Decayed([], names));

        static string[] Decayed(string[] exclusions, string[] names)
        {
            var sgd = new Sgd(1f) { WeightDecay = 0.5f, WeightDecayExclusions = exclusions };
            Parameter[] parameters = [.. names.Select(n => NewParameter(n, [2f]))];
            sgd.Step(parameters);
            return [.. parameters.Where(p => p.Value[0] != 2f).Select(p => p.Name)];
        }
    }

    [Fact]
    public void Bad_exclusion_patterns_are_refused_where_they_are_given()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AdamW { WeightDecayExclusions = ["bias", "(gamma"] });
        Assert.Equal("WeightDecayExclusions", ex.ParamName);
        Assert.Contains("WeightDecayExclusions[1] \"(gamma\"", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new AdamW { WeightDecayExclusions = ["bias", null!] });

        var keras = System.Text.Json.Nodes.JsonNode.Parse("""{"class_name": "AdamW", "config": {"learning_rate": 0.001, "weight_decay": 0.004, "exclude_from_weight_decay": ["[bias"]}}""")!;
        var error = Assert.Throws<InvalidDataException>(() => NeuralNet.Serialization.SerializationRegistry.Deserialize<Optimizer>(keras, new NeuralNet.Serialization.Config(), "optimizer"));
        Assert.Contains("[bias", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exclusion_patterns_allocate_nothing_after_the_first_step()
    {
        var adamw = new AdamW { WeightDecayExclusions = ["bias|gamma", "^beta$"] };
        Parameter[] parameters = [NewParameter("kernel", [1f, 2f, 3f]), NewParameter("bias", [1f]), NewParameter("beta", [1f])];
        adamw.Step(parameters);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                adamw.Step(parameters);
            }
        });
    }

    private static Parameter NewParameter(string name, float[] values)
    {
        var p = new Parameter(name, new TensorShape(values.Length), true, null);
        values.CopyTo(p.Value.AsSpan());
        return p;
    }
}
