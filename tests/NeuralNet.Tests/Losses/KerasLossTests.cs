using NeuralNet.Losses;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>The regression, hinge and distribution losses against Keras' losses_test.py (its numbers, or its numpy formulas).</summary>
public class KerasLossTests
{
    private static readonly Tensor KerasTrue = Tensor.FromArray([1, 9, 2, -5, -2, 6], 2, 3);
    private static readonly Tensor KerasPred = Tensor.FromArray([4, 8, 12, 8, 1, 3], 2, 3);
    private static readonly Tensor HingeTrue = Tensor.FromArray([0, 1, 0, 0], 2, 2);
    private static readonly Tensor HingePred = Tensor.FromArray([0.6f, 0.4f, 0.4f, 0.6f], 2, 2);

    [Fact]
    public void Published_values_match()
    {
        Assert.Equal(5.5, new MeanAbsoluteError().Compute(KerasPred, KerasTrue), 5);
        Assert.Equal(211.8518, new MeanAbsolutePercentageError().Compute(KerasPred, KerasTrue), 3);
        Assert.Equal(1.4370, new MeanSquaredLogarithmicError().Compute(KerasPred, KerasTrue), 3);
        Assert.Equal(1.3, new Hinge().Compute(HingePred, HingeTrue), 5);
        Assert.Equal(1.86, new SquaredHinge().Compute(HingePred, HingeTrue), 5);
        Assert.Equal(1.4, new CategoricalHinge().Compute(HingePred, HingeTrue), 5);
        Assert.Equal(0.0, new MeanAbsoluteError().Compute(KerasTrue, KerasTrue), 7);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.8)]
    public void Huber_matches_the_keras_test_formula(double delta)
    {
        float[] pred = [0.9f, 0.2f, 0.2f, 0.8f, 0.4f, 0.6f], truth = [1, 0, 1, 1, 0, 0];
        double expected = pred.Zip(truth, (p, t) =>
        {
            double error = Math.Abs((double)p - t), quadratic = Math.Min(error, delta);
            return (0.5 * quadratic * quadratic) + (delta * (error - quadratic));
        }).Sum() / 6;
        Assert.Equal(expected, new Huber(delta).Compute(Tensor.FromArray(pred, 2, 3), Tensor.FromArray(truth, 2, 3)), 6);
    }

    [Fact]
    public void Log_cosh_kl_divergence_poisson_and_cosine_match_the_keras_test_formulas()
    {
        double logCosh = KerasPred.ToArray().Zip(KerasTrue.ToArray(), (p, t) => Math.Log((Math.Exp(p - t) + Math.Exp(t - p)) / 2)).Sum() / 6;
        Assert.Equal(logCosh, new LogCosh().Compute(KerasPred, KerasTrue), 4);

        float[] kp = [0.4f, 0.9f, 0.12f, 0.36f, 0.3f, 0.4f], kt = [0.5f, 0.8f, 0.12f, 0.7f, 0.43f, 0.8f];
        double kld = kp.Zip(kt, (p, t) => t * Math.Log((double)t / p)).Sum() / 2;
        Assert.Equal(kld, new KLDivergence().Compute(Tensor.FromArray(kp, 2, 3), Tensor.FromArray(kt, 2, 3)), 5);

        float[] pp = [1, 9, 2, 5, 2, 6], pt = [4, 8, 12, 8, 1, 3];
        double poisson = pp.Zip(pt, (p, t) => p - (t * Math.Log(p))).Sum() / 6;
        Assert.Equal(poisson, new Poisson().Compute(Tensor.FromArray(pp, 2, 3), Tensor.FromArray(pt, 2, 3)), 4);

        double cosine = 0;
        for (int r = 0; r < 2; r++)
        {
            double[] t = [.. KerasTrue.ToArray()[(r * 3)..((r + 1) * 3)].Select(v => (double)v)];
            double[] p = [.. KerasPred.ToArray()[(r * 3)..((r + 1) * 3)].Select(v => (double)v)];
            cosine += t.Zip(p, (a, b) => a * b).Sum() / Math.Sqrt(t.Sum(v => v * v)) / Math.Sqrt(p.Sum(v => v * v));
        }

        Assert.Equal(-cosine / 2, new CosineSimilarity().Compute(KerasPred, KerasTrue), 5);
    }

    public static TheoryData<string> Names => ["mae", "mape", "msle", "huber", "huber_small", "log_cosh", "poisson", "hinge", "hinge_signed", "squared_hinge", "categorical_hinge", "kld", "cosine"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradients_match_numerical_gradients(string name)
    {
        var shape = new TensorShape(4, 5);
        Tensor positive = Tensor.RandomUniform(shape, 3, 0.2f, 3f), any = Tensor.RandomNormal(shape, 4);
        Tensor probabilities = Tensor.RandomUniform(shape, 5, 0.05f, 0.95f);
        Tensor labels = Tensor.FromArray([.. Tensor.RandomUniform(shape, 6).ToArray().Select(v => v < 0.5f ? 0f : 1f)], 4, 5);
        Tensor signs = Tensor.FromArray([.. labels.ToArray().Select(v => (2 * v) - 1)], 4, 5);
        (Loss loss, Tensor predictions, Tensor targets) = name switch
        {
            "mae" => ((Loss)new MeanAbsoluteError(), any, Tensor.RandomNormal(shape, 7)),
            "mape" => (new MeanAbsolutePercentageError(), any, Tensor.RandomNormal(shape, 7)),
            "msle" => (new MeanSquaredLogarithmicError(), positive, Tensor.RandomUniform(shape, 8, 0f, 3f)),
            "huber" => (new Huber(), any, Tensor.RandomNormal(shape, 7)),
            "huber_small" => (new Huber(0.3), any, Tensor.RandomNormal(shape, 7)),
            "log_cosh" => (new LogCosh(), any, Tensor.RandomNormal(shape, 7)),
            "poisson" => (new Poisson(), positive, Tensor.RandomUniform(shape, 8, 0f, 4f)),
            "hinge" => (new Hinge(), any, labels),
            "hinge_signed" => (new Hinge(), any, signs),
            "squared_hinge" => (new SquaredHinge(), any, labels),
            "categorical_hinge" => (new CategoricalHinge(), any, OneHot(4, 5)),
            "kld" => (new KLDivergence(), probabilities, Tensor.RandomUniform(shape, 9, 0.05f, 0.95f)),
            _ => (new CosineSimilarity(), any, Tensor.RandomNormal(shape, 7)),
        };
        GradientChecker.CheckLoss(loss, predictions, targets, seed: 2).AssertPassed(maxKinkFraction: 0.05);
    }

    [Fact]
    public void A_model_compiled_with_a_configured_loss_saves_and_loads_it()
    {
        var model = new NeuralNet.Models.Sequential([new NeuralNet.Layers.InputLayer(3), new NeuralNet.Layers.Dense(1)]);
        model.Compile(new NeuralNet.Optimizers.Adam(), new Huber(0.25));
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-huber-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            var loaded = NeuralNet.Models.Model.Load(path);
            Assert.Equal(0.25, Assert.IsType<Huber>(loaded.Loss).Delta);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Huber_refuses_a_delta_that_is_not_positive()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Huber(0));
        Assert.Equal("delta", error.ParamName);
    }

    private static Tensor OneHot(int rows, int classes)
    {
        var t = new Tensor(rows, classes);
        for (int r = 0; r < rows; r++)
        {
            t[r, (r * 2) % classes] = 1;
        }

        return t;
    }
}
