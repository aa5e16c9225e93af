using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>Adagrad, Adamax, Nadam and global-norm clipping against Keras 3's update rules, worked in float64 for three steps.</summary>
public class MoreOptimizerTests
{
    private static readonly float[][] Gradients = [[0.5f, -1f, 2f], [0.25f, 0.5f, -3f], [-1f, 0.1f, 1f]];
    private static readonly double[] Start = [1.0, -2.0, 0.5];

    [Fact]
    public void Adagrad_matches_keras()
    {
        const double lr = 0.1, eps = 1e-7;
        double[] w = [.. Start], a = [0.1, 0.1, 0.1];
        Check(new Adagrad(0.1f), (t, i, g) =>
        {
            a[i] += g * g;
            w[i] -= lr * g / Math.Sqrt(a[i] + eps);
            return w[i];
        });
    }

    [Fact]
    public void Adamax_matches_keras()
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        double[] w = [.. Start], m = new double[3], u = new double[3];
        Check(new Adamax(0.01f), (t, i, g) =>
        {
            m[i] += (g - m[i]) * (1 - b1);
            u[i] = Math.Max(b2 * u[i], Math.Abs(g));
            w[i] -= lr * m[i] / ((1 - Math.Pow(b1, t)) * (u[i] + eps));
            return w[i];
        });
    }

    [Fact]
    public void Nadam_matches_keras()
    {
        // Keras' nadam.py casts beta_1, beta_2 and 0.96 to float32 (ops.cast(..., var_dtype)) and takes 1 - beta in float32.
        const double lr = 0.01, b1 = 0.9f, b2 = 0.999f, eps = 1e-7;
        double[] w = [.. Start], m = new double[3], v = new double[3];
        double product = 1;
        int productStep = 0;
        static double Mu(int t) => b1 * (1 - (0.5 * Math.Pow(0.96f, t)));
        Check(new Nadam(0.01f), (t, i, g) =>
        {
            if (productStep < t)
            {
                product *= Mu(t);
                productStep = t;
            }

            double next = product * Mu(t + 1);
            m[i] += (g - m[i]) * (1f - 0.9f);
            v[i] += ((g * g) - v[i]) * (1f - 0.999f);
            double mHat = (Mu(t + 1) * m[i] / (1 - next)) + ((1 - Mu(t)) * g / (1 - product));
            double vHat = v[i] / (1 - Math.Pow(b2, t));
            w[i] -= mHat * lr / (Math.Sqrt(vHat) + eps);
            return w[i];
        });
    }

    [Fact]
    public void Nadam_first_step_slots_use_float32_complements_as_keras()
    {
        // nadam.py: beta_2 = ops.cast(self.beta_2, float32); v += (g² − v)·(1 − beta_2), so 1 − 0.999f = 9.99987e-4 (not
        // 0.001 as Adam's 1 - self.beta_2 in Python); the same for beta_1. After one step from zero slots, exactly g²·(1 − β2).
        var nadam = new Nadam(0.01f, beta1: 0.8f, beta2: 0.999f);
        var p = new Parameter("kernel", new TensorShape(67), true, null);
        for (int i = 0; i < 67; i++)
        {
            p.Gradient[i] = (i - 30) * 0.37f;
        }

        float[] g = p.Gradient.ToArray();
        nadam.Step([p]);
        Tensor[] slots = nadam.GetOrCreateState(p);
        for (int i = 0; i < 67; i++)
        {
            Assert.Equal(g[i] * (1f - 0.8f), slots[0][i]);
            Assert.Equal(g[i] * g[i] * (1f - 0.999f), slots[1][i]);
        }

        Assert.NotEqual(g[0] * g[0] * 0.001f, slots[1][0]);
    }

    [Fact]
    public void Global_clip_norm_scales_every_gradient_by_the_norm_over_all_of_them()
    {
        var sgd = new Sgd(1f) { GlobalClipNorm = 1f };
        Parameter a = NewParameter([0f, 0f]), b = NewParameter([0f]);
        new float[] { 3f, 0f }.CopyTo(a.Gradient.AsSpan());
        b.Gradient[0] = 4f;
        sgd.Step([a, b]);

        // Global norm 5, so each gradient times 1/5: the parameters move by -0.6, 0 and -0.8.
        Assert.Equal([-0.6f, 0f], a.Value.ToArray());
        Assert.Equal(-0.8f, b.Value[0], 6);
        Assert.Throws<ArgumentException>(() => new Sgd { ClipNorm = 1f, GlobalClipNorm = 2f });
        Assert.Throws<ArgumentException>(() => new Sgd { GlobalClipNorm = 2f, ClipValue = 1f });
    }

    [Fact]
    public void New_optimizers_save_load_and_resolve_from_identifiers()
    {
        var model = new NeuralNet.Models.Sequential([new NeuralNet.Layers.InputLayer(2), new NeuralNet.Layers.Dense(1)], seed: 1);
        foreach ((string id, Type type) in new[] { ("adagrad", typeof(Adagrad)), ("adamax", typeof(Adamax)), ("nadam", typeof(Nadam)) })
        {
            model.Compile(id, "mse");
            Assert.IsType(type, model.Optimizer);
        }

        model.Compile(new Nadam(0.02f) { GlobalClipNorm = 0.5f }, new NeuralNet.Losses.MeanSquaredError());
        model.Fit(Tensor.RandomNormal(new TensorShape(16, 2), 1), Tensor.RandomNormal(new TensorShape(16, 1), 2), epochs: 2, batchSize: 8, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-nadam-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            NeuralNet.Models.Model loaded = NeuralNet.Models.Model.Load(path);
            var nadam = Assert.IsType<Nadam>(loaded.Optimizer);
            Assert.Equal((0.02f, 0.5f, 4L), (nadam.LearningRate, nadam.GlobalClipNorm!.Value, nadam.Iterations));

            // Resuming after the load gives the same weights as training on.
            Tensor x = Tensor.RandomNormal(new TensorShape(8, 2), 3), y = Tensor.RandomNormal(new TensorShape(8, 1), 4);
            model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
            loaded.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
            Assert.Equal(model.Parameters.Select(p => p.Value.ToArray()), loaded.Parameters.Select(p => p.Value.ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Check(Optimizer optimizer, Func<int, int, double, double> expected)
    {
        Parameter p = NewParameter([.. Start.Select(v => (float)v)]);
        var want = new double[3];
        for (int t = 1; t <= 3; t++)
        {
            for (int i = 0; i < 3; i++)
            {
                want[i] = expected(t, i, Gradients[t - 1][i]);
            }

            Gradients[t - 1].CopyTo(p.Gradient.AsSpan());
            optimizer.Step([p]);
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(want[i] - p.Value[i]) <= 2e-6 * Math.Max(1, Math.Abs(want[i])), $"{optimizer.Name}: element {i} is {p.Value[i]}, Keras' formula gives {want[i]}.");
        }
    }

    private static Parameter NewParameter(float[] values)
    {
        var p = new Parameter("kernel", new TensorShape(values.Length), true, null);
        values.CopyTo(p.Value.AsSpan());
        return p;
    }
}
