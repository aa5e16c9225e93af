using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Optimizers.Schedules;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>Keras' gradient_accumulation_steps (and with EMA) against its semantics worked in float64, saving and allocation.</summary>
public class GradientAccumulationTests
{
    // 19 elements: a Vector<float> part and a scalar tail on every width.
    private const int Length = 19;

    [Fact]
    public void Step_TwoAccumulationStepsOverFour_AdamUpdatesOnEverySecondCallWithTheMeanGradient()
    {
        // Keras: calls 1 and 3 only add to the accumulators; calls 2 and 4 update with (g + accumulated) / 2, and Adam's
        // bias correction uses iterations + 1 = 1 then 2 (iterations = calls // 2).
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        var adam = new Adam(0.01f) { GradientAccumulationSteps = 2 };
        Parameter p = NewParameter();
        double[] w = Start(), m = new double[Length], v = new double[Length], accumulated = new double[Length];
        long[] iterations = [0, 1, 1, 2];
        for (int call = 1; call <= 4; call++)
        {
            SetGradient(p, call);
            adam.Step([p]);
            for (int i = 0; i < Length; i++)
            {
                if (call % 2 == 1)
                {
                    accumulated[i] += Gradient(call, i);
                    continue;
                }

                double g = (Gradient(call, i) + accumulated[i]) / 2;
                accumulated[i] = 0;
                int t = call / 2;
                m[i] += (g - m[i]) * (1 - b1);
                v[i] += ((g * g) - v[i]) * (1 - b2);
                double alpha = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
                w[i] -= alpha * m[i] / (Math.Sqrt(v[i]) + eps);
            }

            AssertClose(w, p.Value, $"weights after call {call}");
            AssertClose(accumulated, adam.GetOrCreateState(p, 2), $"gradient_accumulator after call {call}");
            Assert.Equal(iterations[call - 1], adam.Iterations);
            Assert.Equal(call, adam.StepCount);
            Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g));
        }
    }

    [Fact]
    public void Step_Accumulating_ScheduleSeesEveryCallAndClippingAndDecayApplyToTheMean()
    {
        // Rate at the call count before the update (Keras' _iterations): 1 at call 2, 3 at call 4. ClipNorm clips the
        // mean gradient and weight decay acts only when the weights are updated.
        var schedule = new ExponentialDecay(0.1, decaySteps: 1, decayRate: 0.5);
        var sgd = new Sgd { Schedule = schedule, GradientAccumulationSteps = 2, ClipNorm = 1f, WeightDecay = 0.1f };
        var p = new Parameter("kernel", new TensorShape(2), true, null);
        p.Value.Fill(1f);
        double[] w = [1, 1];
        float[][] gradients = [[3f, 0f], [-1f, 0f], [0f, 4f], [0f, 4f]];
        for (int call = 1; call <= 4; call++)
        {
            gradients[call - 1].CopyTo(p.Gradient.AsSpan());
            sgd.Step([p]);
            if (call % 2 == 0)
            {
                double lr = 0.1 * Math.Pow(0.5, call - 1);
                double[] g = [(gradients[call - 2][0] + gradients[call - 1][0]) / 2.0, (gradients[call - 2][1] + gradients[call - 1][1]) / 2.0];
                double norm = Math.Sqrt((g[0] * g[0]) + (g[1] * g[1]));
                for (int i = 0; i < 2; i++)
                {
                    w[i] -= w[i] * 0.1 * lr;
                    w[i] -= lr * g[i] * 1 / Math.Max(norm, 1);
                }
            }

            Assert.Equal(w[0], p.Value[0], 6);
            Assert.Equal(w[1], p.Value[1], 6);
        }

        // Call 2's mean (1, 0) has norm 1 and is not clipped (clipping each call's gradient would have cancelled it);
        // call 4's mean (0, 4) is clipped to (0, 1).
        Assert.NotEqual(1f, p.Value[0]);
    }

    [Fact]
    public void Step_AccumulatingWithEma_AveragesEveryCallAndOverwritesOnAccumulatedIterations()
    {
        // N = 2, EmaOverwriteFrequency = 2: iterations before calls 1..6 are 0, 0, 1, 1, 2, 2. Keras updates the average on
        // every call, with momentum 0 while iterations is 0 (calls 1 and 2 copy the weights), and overwrites the weights
        // when (iterations + 1) % 2 == 0: after calls 3 and 4.
        const double lr = 0.1, ema = 0.8;
        var sgd = new Sgd(0.1f) { GradientAccumulationSteps = 2, UseEma = true, EmaMomentum = 0.8f, EmaOverwriteFrequency = 2 };
        Parameter p = NewParameter();
        double[] w = Start(), average = new double[Length], accumulated = new double[Length];
        for (int call = 1; call <= 6; call++)
        {
            long iterations = (call - 1) / 2;
            SetGradient(p, call);
            sgd.Step([p]);
            for (int i = 0; i < Length; i++)
            {
                if (call % 2 == 1)
                {
                    accumulated[i] = Gradient(call, i);
                }
                else
                {
                    w[i] -= lr * (Gradient(call, i) + accumulated[i]) / 2;
                }

                double momentum = iterations == 0 ? 0 : ema;
                average[i] = (momentum * average[i]) + ((1 - momentum) * w[i]);
                if ((iterations + 1) % 2 == 0)
                {
                    w[i] = average[i];
                }
            }

            AssertClose(w, p.Value, $"weights after call {call}");
            AssertClose(average, sgd.GetOrCreateState(p, 0), $"average after call {call}");
        }

        Assert.Equal(["average", "gradient_accumulator"], sgd.StateSlotNames);
    }

    [Fact]
    public void SaveLoad_MidAccumulation_KeepsTheAccumulatorsAndResumesBitForBit()
    {
        // 16 samples in batches of 4: one epoch is 4 calls, so with N = 3 the file holds one call's gradients.
        var model = new Sequential([new InputLayer(2), new Dense(3), new Dense(1)], seed: 1);
        model.Compile(new RmsProp(0.01f, momentum: 0.5f) { GradientAccumulationSteps = 3, UseEma = true }, new MeanSquaredError());
        model.Fit(Tensor.RandomNormal(new TensorShape(16, 2), 1), Tensor.RandomNormal(new TensorShape(16, 1), 2), epochs: 1, batchSize: 4, verbose: 0);
        Assert.Equal((1L, 4L), (model.Optimizer!.Iterations, model.Optimizer.StepCount));
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-accumulation-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            var rms = Assert.IsType<RmsProp>(loaded.Optimizer);
            Assert.Equal((3, 1L, 4L), (rms.GradientAccumulationSteps, rms.Iterations, rms.StepCount));
            Assert.Contains("\"gradient_accumulation_steps\":3", rms.GetConfig().ToJson(), StringComparison.Ordinal);
            Assert.Contains(rms.GetStateTensors(), s => s.Slot == "gradient_accumulator" && s.Value.ToArray().Any(x => x != 0f));
            Assert.Equal(
                model.Optimizer.GetStateTensors().Select(s => (s.Slot, s.Value.ToArray())),
                rms.GetStateTensors().Select(s => (s.Slot, s.Value.ToArray())));

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

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-2)]
    public void GradientAccumulationSteps_BelowTwo_ThrowsNamingIt(int steps)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam { GradientAccumulationSteps = steps });
        Assert.Equal("GradientAccumulationSteps", ex.ParamName);
        Assert.Contains($"GradientAccumulationSteps={steps}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(">= 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_WithEmaAndAccumulation_AllocatesNothingAfterWarmUp()
    {
        Optimizer[] optimizers =
        [
            new Adam { UseEma = true, EmaOverwriteFrequency = 3, GradientAccumulationSteps = 2 },
            new Sgd(0.01f, 0.9f) { UseEma = true, GradientAccumulationSteps = 3, GlobalClipNorm = 1f, WeightDecay = 0.01f },
            new Ftrl { UseEma = true, GradientAccumulationSteps = 2, ClipNorm = 1f },
        ];
        foreach (Optimizer optimizer in optimizers)
        {
            Parameter[] parameters = [new Parameter("kernel", new TensorShape(1000), true, null), new Parameter("bias", new TensorShape(37), true, null)];
            IReadOnlyList<Parameter> list = parameters;
            for (int warmUp = 0; warmUp < 3; warmUp++)
            {
                parameters[0].Gradient.Fill(0.5f);
                optimizer.Step(list);
            }

            AllocationCheck.AssertNone(() =>
            {
                for (int i = 0; i < 12; i++)
                {
                    parameters[0].Gradient.Fill(0.5f);
                    optimizer.Step(list);
                }

            });
        }
    }

    private static float Gradient(int t, int i) => (float)((i % 3 == 0 ? -1 : 1) * (0.2 + (0.15 * ((i + (2 * t)) % 6))));

    private static double[] Start() => [.. Enumerable.Range(0, Length).Select(i => (double)(float)(0.3 + (0.07 * i)))];

    private static Parameter NewParameter() => FormulaCheck.NewParameter(Start());

    private static void SetGradient(Parameter p, int t) => FormulaCheck.SetGradient(p, t, Gradient);

    private static void AssertClose(double[] expected, Tensor actual, string what) => FormulaCheck.AssertClose(expected, actual, what);
}
