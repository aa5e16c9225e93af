using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>Keras' EMA options (use_ema, ema_momentum, ema_overwrite_frequency) against its formulas worked in float64.</summary>
public class MovingAverageTests
{
    // 19 elements: a Vector<float> part and a scalar tail on every width.
    private const int Length = 19;

    [Fact]
    public void Step_UseEma_AverageFollowsKerasFormulaAndLeavesTheWeights()
    {
        // Keras: momentum = (iterations != 0) * ema_momentum; average = momentum * average + (1 - momentum) * w, after the update.
        const double lr = 0.1, ema = 0.9;
        var sgd = new Sgd(0.1f) { UseEma = true, EmaMomentum = 0.9f };
        Parameter p = NewParameter();
        double[] w = Start(), average = new double[Length];
        for (int t = 1; t <= 4; t++)
        {
            SetGradient(p, t);
            sgd.Step([p]);
            for (int i = 0; i < Length; i++)
            {
                w[i] -= lr * Gradient(t, i);
                double momentum = t == 1 ? 0 : ema;
                average[i] = (momentum * average[i]) + ((1 - momentum) * w[i]);
            }

            AssertClose(w, p.Value, $"weights after step {t}");
            AssertClose(average, sgd.GetOrCreateState(p, 0), $"average after step {t}");
        }

        sgd.FinalizeVariableValues([p]);
        AssertClose(average, p.Value, "weights after FinalizeVariableValues");
    }

    [Fact]
    public void Step_LayerUnfrozenAfterSomeSteps_AverageStartsFromItsWeightsNotFromZero()
    {
        // A parameter first stepped at iteration 5 (its layer was frozen) gets momentum 0.9 at once: with an average
        // starting at 0 (Keras' zeros, harmless only at iteration 0) it became 0.1·w and Fit ended on those weights.
        var sgd = new Sgd(0.1f) { UseEma = true, EmaMomentum = 0.9f };
        var model = new Sequential([new InputLayer(2), new Dense(3), new Dense(1)], seed: 3);
        Layer first = model.Layers.First(layer => layer.Parameters.Count > 0);
        first.Trainable = false;
        Parameter late = first.Parameters[0];
        Parameter[] parameters = [.. model.Parameters];
        for (int t = 1; t <= 5; t++)
        {
            foreach (Parameter p in parameters)
            {
                p.Gradient.Fill(0.1f);
            }

            sgd.Step(parameters);
        }

        first.Trainable = true;
        float[] before = late.Value.ToArray();
        late.Gradient.Fill(0.5f);
        sgd.Step(parameters);
        float[] after = late.Value.ToArray();
        float[] average = sgd.GetOrCreateState(late, 0).ToArray();
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal((0.9f * before[i]) + ((1f - 0.9f) * after[i]), average[i], 6);
        }

        sgd.FinalizeVariableValues(parameters);
        Assert.All(late.Value.ToArray().Zip(before), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 0.1f, $"{pair.First} vs {pair.Second}"));
    }

    [Fact]
    public void Step_EmaOverwriteFrequency_ReplacesTheWeightsEveryNthIteration()
    {
        // Frequency 2: after steps 2 and 4 ((iterations + 1) % 2 == 0) the weights become their averages, and step 3 starts from them.
        const double lr = 0.1, ema = 0.5;
        var sgd = new Sgd(0.1f, momentum: 0.9f) { UseEma = true, EmaMomentum = 0.5f, EmaOverwriteFrequency = 2 };
        Parameter p = NewParameter();
        double[] w = Start(), average = new double[Length], velocity = new double[Length];
        for (int t = 1; t <= 5; t++)
        {
            SetGradient(p, t);
            sgd.Step([p]);
            for (int i = 0; i < Length; i++)
            {
                velocity[i] = (0.9 * velocity[i]) - (lr * Gradient(t, i));
                w[i] += velocity[i];
                double momentum = t == 1 ? 0 : ema;
                average[i] = (momentum * average[i]) + ((1 - momentum) * w[i]);
                if (t % 2 == 0)
                {
                    w[i] = average[i];
                }
            }

            AssertClose(w, p.Value, $"weights after step {t}");
            AssertClose(average, sgd.GetOrCreateState(p, 1), $"average after step {t}");
        }
    }

    [Fact]
    public void Fit_UseEma_EndsWithTheAveragesAsKerasFinalizeVariableValuesDoes()
    {
        var model = new Sequential([new InputLayer(2), new Dense(3), new Dense(1)], seed: 1);
        var adam = new Adam(0.01f) { UseEma = true };
        model.Compile(adam, new MeanSquaredError());
        model.Fit(Tensor.RandomNormal(new TensorShape(16, 2), 1), Tensor.RandomNormal(new TensorShape(16, 1), 2), epochs: 2, batchSize: 4, verbose: 0);
        foreach (Parameter parameter in model.Parameters)
        {
            Assert.Equal(adam.GetOrCreateState(parameter, 2).ToArray(), parameter.Value.ToArray());
        }

        // Without EMA there is nothing to finalize: the weights stay the last step's.
        var sgd = new Sgd(0.1f);
        Parameter p = NewParameter();
        SetGradient(p, 1);
        sgd.Step([p]);
        float[] stepped = p.Value.ToArray();
        sgd.FinalizeVariableValues([p]);
        Assert.Equal(stepped, p.Value.ToArray());
    }

    [Fact]
    public void SaveLoad_UseEma_KeepsOptionsAndAveragesAndResumesBitForBit()
    {
        var model = new Sequential([new InputLayer(2), new Dense(3), new Dense(1)], seed: 1);
        model.Compile(new Nadam(0.01f) { UseEma = true, EmaMomentum = 0.95f, EmaOverwriteFrequency = 3 }, new MeanSquaredError());
        model.Fit(Tensor.RandomNormal(new TensorShape(16, 2), 1), Tensor.RandomNormal(new TensorShape(16, 1), 2), epochs: 1, batchSize: 4, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-ema-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            var nadam = Assert.IsType<Nadam>(loaded.Optimizer);
            Assert.Equal((true, 0.95f, (int?)3), (nadam.UseEma, nadam.EmaMomentum, nadam.EmaOverwriteFrequency));
            Assert.Contains("\"use_ema\":true,\"ema_momentum\":0.95,\"ema_overwrite_frequency\":3", nadam.GetConfig().ToJson(), StringComparison.Ordinal);
            Assert.Equal(
                model.Optimizer!.GetStateTensors().Select(s => (s.Slot, s.Value.ToArray())),
                nadam.GetStateTensors().Select(s => (s.Slot, s.Value.ToArray())));

            Tensor x = Tensor.RandomNormal(new TensorShape(8, 2), 3), y = Tensor.RandomNormal(new TensorShape(8, 1), 4);
            model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0);
            loaded.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0);
            Assert.Equal(model.Parameters.Select(p => p.Value.ToArray()), loaded.Parameters.Select(p => p.Value.ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Config_DefaultOptions_AreNotWrittenAndKerasDefaultsAreRead()
    {
        // Files of optimizers without EMA stay as they were; Keras writes every key, with a null frequency.
        Assert.DoesNotContain("ema", new Adam().GetConfig().ToJson(), StringComparison.Ordinal);
        JsonNode keras = JsonNode.Parse("""{"class_name": "Adam", "config": {"learning_rate": 0.001, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null}}""")!;
        Optimizer adam = SerializationRegistry.Deserialize<Optimizer>(keras, new Config(), "optimizer");
        Assert.Equal((false, 0.99f, (int?)null), (adam.UseEma, adam.EmaMomentum, adam.EmaOverwriteFrequency));
        JsonNode bad = JsonNode.Parse("""{"class_name": "Adam", "config": {"use_ema": true, "ema_momentum": 1.5}}""")!;
        var ex = Assert.Throws<InvalidDataException>(() => SerializationRegistry.Deserialize<Optimizer>(bad, new Config(), "optimizer"));
        Assert.Contains("EmaMomentum=1.5", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.01f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void EmaMomentum_OutsideZeroOne_ThrowsNamingIt(float momentum)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam { UseEma = true, EmaMomentum = momentum });
        Assert.Equal("EmaMomentum", ex.ParamName);
        Assert.Contains("[0, 1]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void EmaOverwriteFrequency_BelowOne_ThrowsNamingIt(int frequency)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd { UseEma = true, EmaOverwriteFrequency = frequency });
        Assert.Equal("EmaOverwriteFrequency", ex.ParamName);
        Assert.Contains($"EmaOverwriteFrequency={frequency}", ex.Message, StringComparison.Ordinal);
    }

    private static float Gradient(int t, int i) => (float)((i % 2 == 0 ? 1 : -1) * (0.25 + (0.1 * ((i + t) % 5))));

    private static double[] Start() => [.. Enumerable.Range(0, Length).Select(i => (double)(float)(0.5 - (0.05 * i)))];

    private static Parameter NewParameter() => FormulaCheck.NewParameter(Start());

    private static void SetGradient(Parameter p, int t) => FormulaCheck.SetGradient(p, t, Gradient);

    private static void AssertClose(double[] expected, Tensor actual, string what) => FormulaCheck.AssertClose(expected, actual, what);
}
