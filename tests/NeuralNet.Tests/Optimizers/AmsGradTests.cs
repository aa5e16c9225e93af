using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>
/// Adam's and AdamW's <c>amsgrad</c> (keras/src/optimizers/adam.py, update_step): after v's update v̂ = max(v̂, v), and
/// the step divides by √v̂ + ε. Checked against that formula worked in float64 with gradients that make v fall (where
/// the maximum matters), on 67 elements (every SIMD width and the scalar tail), and saved, loaded and resumed.
/// </summary>
public class AmsGradTests
{
    private const int Length = 67;

    // Step 1 has large gradients, the later ones small (every third element keeps growing): v falls for most elements,
    // so max(v̂, v) keeps step 1's velocity there, and follows v for the others.
    private static double Gradient(int t, int i) =>
        (i % 2 == 0 ? 1 : -1) * (t == 1 ? 2.0 + (0.25 * (i % 5)) : i % 3 == 0 ? 0.8 * t : 0.05 * (1 + ((i + t) % 4)));

    [Fact]
    public void Adam_AmsGrad_MatchesKerasFormulaForFiveStepsAndDiffersFromAdam()
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.5, eps = 1e-7;
        var amsgrad = new Adam(0.01f, beta2: 0.5f, amsGrad: true);
        Assert.True(amsgrad.AmsGrad);
        var plain = new Adam(0.01f, beta2: 0.5f);
        Parameter p = FormulaCheck.NewParameter(Start()), q = FormulaCheck.NewParameter(Start());
        double[] w = Start(), m = new double[Length], v = new double[Length], vHat = new double[Length];
        int fell = 0;
        for (int t = 1; t <= 5; t++)
        {
            for (int i = 0; i < Length; i++)
            {
                double g = (float)Gradient(t, i);
                m[i] += (g - m[i]) * (1 - b1);
                v[i] += ((g * g) - v[i]) * (1 - b2);
                fell += v[i] < vHat[i] ? 1 : 0;
                vHat[i] = Math.Max(vHat[i], v[i]);
                double alpha = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
                w[i] -= m[i] * alpha / (Math.Sqrt(vHat[i]) + eps);
            }

            FormulaCheck.SetGradient(p, t, (t, i) => (float)Gradient(t, i));
            FormulaCheck.SetGradient(q, t, (t, i) => (float)Gradient(t, i));
            amsgrad.Step([p]);
            plain.Step([q]);
            FormulaCheck.AssertClose(w, p.Value, $"Adam(amsgrad) step {t}");
            Tensor[] slots = amsgrad.GetOrCreateState(p);
            FormulaCheck.AssertClose(m, slots[0], $"momentum, step {t}");
            FormulaCheck.AssertClose(v, slots[1], $"velocity, step {t}");
            FormulaCheck.AssertClose(vHat, slots[2], $"velocity_hat, step {t}");
        }

        Assert.True(fell > 100, $"v fell below v_hat only {fell} times: the test would not see the maximum.");
        Assert.True(Enumerable.Range(0, Length).Max(i => Math.Abs(p.Value[i] - q.Value[i])) > 1e-3, "AMSGrad gave plain Adam's weights.");
    }

    [Fact]
    public void AdamW_AmsGrad_MatchesKerasFormulaForFiveSteps()
    {
        // adamw.py: AdamW(adam.Adam) passes amsgrad on; the decoupled decay comes first (base_optimizer._apply_weight_decay).
        const double lr = 0.02, wd = 0.1, b1 = 0.8, b2 = 0.6, eps = 1e-6;
        var adamw = new AdamW(0.02f, weightDecay: 0.1f, beta1: 0.8f, beta2: 0.6f, epsilon: 1e-6f, amsGrad: true);
        Assert.True(adamw.AmsGrad);
        Parameter p = FormulaCheck.NewParameter(Start());
        double[] w = Start(), m = new double[Length], v = new double[Length], vHat = new double[Length];
        for (int t = 1; t <= 5; t++)
        {
            for (int i = 0; i < Length; i++)
            {
                double g = (float)Gradient(t, i);
                w[i] -= w[i] * wd * lr;
                m[i] += (g - m[i]) * (1 - b1);
                v[i] += ((g * g) - v[i]) * (1 - b2);
                vHat[i] = Math.Max(vHat[i], v[i]);
                double alpha = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
                w[i] -= m[i] * alpha / (Math.Sqrt(vHat[i]) + eps);
            }

            FormulaCheck.SetGradient(p, t, (t, i) => (float)Gradient(t, i));
            adamw.Step([p]);
            FormulaCheck.AssertClose(w, p.Value, $"AdamW(amsgrad) step {t}");
            FormulaCheck.AssertClose(vHat, adamw.GetOrCreateState(p)[2], $"velocity_hat, step {t}");
        }
    }

    [Fact]
    public void AmsGradRule_EveryTailLength_WideNarrowAndScalarPathsAgreeBitForBit()
    {
        // The 512-bit loop, then Vector<float>, then the tail, against the Vector<float> driver and one element at a time;
        // v̂ starts above v for half the elements, and a NaN gradient, an infinite one and a zero sit in the data.
        var rule = new Adam.AmsGradRule(0.01f, 0.1f, 0.001f, 1e-7f);
        for (int n = 0; n <= (3 * Vector512<float>.Count) + Vector<float>.Count + 3; n++)
        {
            float[] w = Random(n, 5), g = Random(n, 6), m = Random(n, 7), v = [.. Random(n, 8).Select(x => x * x)];
            float[] vHat = [.. v.Select((x, i) => i % 2 == 0 ? x * 4 : x / 4)];
            if (n > 5)
            {
                (g[1], g[3], g[5]) = (float.NaN, float.PositiveInfinity, 0f);
            }

            float[] w1 = [.. w], m1 = [.. m], v1 = [.. v], h1 = [.. vHat], w2 = [.. w], m2 = [.. m], v2 = [.. v], h2 = [.. vHat];
            ElementwiseUpdate.RunWide(w, g, m, v, vHat, rule);
            ElementwiseUpdate.Run(w2, g, m2, v2, h2, rule);
            for (int i = 0; i < n; i++)
            {
                ElementwiseUpdate.Run(w1.AsSpan(i, 1), g.AsSpan(i, 1), m1.AsSpan(i, 1), v1.AsSpan(i, 1), h1.AsSpan(i, 1), rule);
            }

            AssertSameBits(w1, w, "values");
            AssertSameBits(m1, m, "momentum");
            AssertSameBits(v1, v, "velocity");
            AssertSameBits(h1, vHat, "velocity_hat");
            AssertSameBits(w2, w, "values (Vector<float> driver)");
            AssertSameBits(h2, vHat, "velocity_hat (Vector<float> driver)");
            if (n > 5)
            {
                Assert.True(float.IsNaN(vHat[1]), "a NaN velocity must make velocity_hat NaN, as Keras' maximum does");
            }
        }
    }

    [Fact]
    public void AmsGradRule_VelocityHatShorterThanValues_ThrowsBeforeWriting()
    {
        var rule = new Adam.AmsGradRule(0.01f, 0.1f, 0.001f, 1e-7f);
        float[] w = new float[40], g = [.. Enumerable.Repeat(1f, 40)];
        var ex = Assert.Throws<ArgumentException>(() => ElementwiseUpdate.RunWide(w, g, new float[40], new float[40], new float[39], rule));
        Assert.Contains("(40)", ex.Message, StringComparison.Ordinal);
        Assert.All(w, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void SlotNames_AmsGrad_AddVelocityHatUnderKerasName()
    {
        // adam.py build: add_optimizer_variables(var_list, "velocity_hat") after "momentum" and "velocity".
        var p = new Parameter("kernel", new TensorShape(3), true, null);
        p.Gradient.Fill(1f);
        foreach (Optimizer optimizer in new Optimizer[] { new Adam(amsGrad: true), new AdamW(amsGrad: true) })
        {
            optimizer.Step([p]);
            Assert.Equal(["momentum", "velocity", "velocity_hat"], optimizer.GetStateTensors().Select(s => s.Slot));
        }

        Assert.Equal(["momentum", "velocity"], new Adam().StateSlotNames);
        Assert.Equal(["momentum", "velocity", "velocity_hat", "average"], new Adam(amsGrad: true) { UseEma = true }.StateSlotNames);
    }

    [Fact]
    public void Config_KerasTestConfig_RoundTripsUnderAmsgrad()
    {
        // adam_test.py / adamw_test.py test_config: run_class_serialization_test on these settings.
        var adam = new Adam(0.5f, beta1: 0.5f, beta2: 0.67f, epsilon: 1e-5f, amsGrad: true);
        var adamw = new AdamW(0.5f, weightDecay: 0.008f, beta1: 0.5f, beta2: 0.67f, epsilon: 1e-5f, amsGrad: true);
        Assert.Contains("\"beta_1\":0.5,\"beta_2\":0.67,\"epsilon\":1E-05,\"amsgrad\":true", adam.GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"amsgrad\":false", new Adam().GetConfig().ToJson(), StringComparison.Ordinal); // Keras always writes it
        foreach (Optimizer optimizer in new Optimizer[] { adam, adamw, new Adam(), new AdamW() })
        {
            JsonNode saved = SerializationRegistry.Serialize(optimizer);
            Optimizer loaded = SerializationRegistry.Deserialize<Optimizer>(saved, new Config(), "optimizer");
            Assert.IsType(optimizer.GetType(), loaded);
            Assert.Equal(optimizer.GetConfig().ToJson(), loaded.GetConfig().ToJson());
            Assert.Equal(optimizer.StateSlotNames, loaded.StateSlotNames);
        }
    }

    [Theory]
    [InlineData("Adam")]
    [InlineData("AdamW")]
    public void Config_AsKerasWritesIt_LoadsAmsgrad(string className)
    {
        Assert.True(AmsGradOf(Read(className, "\"learning_rate\": 0.001, \"beta_1\": 0.9, \"beta_2\": 0.999, \"epsilon\": 1e-07, \"amsgrad\": true")));
        Assert.False(AmsGradOf(Read(className, "\"amsgrad\": false")));
        Assert.False(AmsGradOf(Read(className, "\"learning_rate\": 0.01")));
        var ex = Assert.Throws<InvalidDataException>(() => Read(className, "\"amsgrad\": 1"));
        Assert.Contains("\"amsgrad\" must be true or false but is", ex.Message, StringComparison.Ordinal);

        static bool AmsGradOf(Optimizer optimizer) => optimizer switch
        {
            Adam adam => adam.AmsGrad,
            AdamW adamw => adamw.AmsGrad,
            _ => throw new InvalidOperationException(optimizer.GetType().Name),
        };
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveLoad_AmsGrad_KeepsVelocityHatAndResumesBitForBit(bool adamW)
    {
        Optimizer Create() => adamW ? new AdamW(0.01f, beta2: 0.6f, amsGrad: true) : new Adam(0.01f, beta2: 0.6f, amsGrad: true);
        Tensor x = Tensor.RandomNormal(new TensorShape(24, 4), 1), y = Tensor.RandomNormal(new TensorShape(24, 2), 2);
        Sequential uninterrupted = NewModel(Create()), first = NewModel(Create());
        uninterrupted.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        uninterrupted.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        first.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-amsgrad-{adamW}-{Environment.ProcessId}.safetensors");
        try
        {
            first.Save(path);
            SafeTensorsFile file = SafeTensors.Load(path);
            Tensor velocityHat = file["optimizer/dense/kernel/velocity_hat"];
            Assert.Equal(first.Optimizer!.GetOrCreateState(first.Parameters[0])[2].ToArray(), velocityHat.ToArray());
            Assert.Contains(velocityHat.ToArray(), h => h > 0f);

            Model resumed = Model.Load(path);
            Assert.Equal(first.Optimizer.GetConfig().ToJson(), resumed.Optimizer!.GetConfig().ToJson());
            resumed.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
            Assert.Equal(uninterrupted.Parameters.Select(p => p.Value.ToArray()), resumed.Parameters.Select(p => p.Value.ToArray()));

            // A file of plain Adam lacks velocity_hat: restoring it into AMSGrad is refused, naming the slot.
            Sequential plain = NewModel(adamW ? new AdamW(0.01f) : new Adam(0.01f));
            plain.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
            plain.Save(path);
            Sequential target = NewModel(Create());
            var ex = Assert.Throws<InvalidDataException>(() => ModelSerializer.RestoreTrainingState(target, SafeTensors.Load(path)));
            Assert.Contains("velocity_hat", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Sequential NewModel(Optimizer optimizer)
    {
        var model = new Sequential([new InputLayer(4), new Dense(5, ActivationFunction.Tanh), new Dense(2)], seed: 3);
        model.Compile(optimizer, new MeanSquaredError());
        return model;
    }

    private static Optimizer Read(string className, string settings) =>
        SerializationRegistry.Deserialize<Optimizer>(JsonNode.Parse("{\"class_name\": \"" + className + "\", \"config\": {" + settings + "}}")!, new Config(), "optimizer");

    private static double[] Start() => [.. Enumerable.Range(0, Length).Select(i => 0.5 - (0.03 * i))];

    private static float[] Random(int n, int seed) => n == 0 ? [] : Tensor.RandomNormal(new TensorShape(n), seed).ToArray();

    // Equal bits, except that any NaN equals any NaN (the payload of a NaN is not part of the result).
    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(
                (float.IsNaN(expected[i]) && float.IsNaN(actual[i])) || BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}] of {expected.Length}: {actual[i]:R}, one element at a time {expected[i]:R}");
        }
    }
}
