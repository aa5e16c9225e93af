using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>A learning rate of 0 is a valid rate, as in Keras and as the schedules already allowed: a frozen phase.</summary>
public class LearningRateZeroTests
{
    public static TheoryData<string> Optimizers => new()
    {
        "sgd", "sgd-nesterov", "adam", "adamw", "rmsprop", "rmsprop-centered-momentum", "adagrad", "adamax", "nadam", "adadelta", "lion", "ftrl", "lamb",
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Step_FixedRateZero_LeavesTheWeightsExactlyWhereTheyAre(string name)
    {
        Optimizer optimizer = Create(name, 0f);
        Assert.Equal(0f, optimizer.LearningRate);
        var p = new Parameter("kernel", new TensorShape(67), true, null);
        p.Value.Fill(0.75f);
        for (int s = 0; s < 3; s++)
        {
            for (int i = 0; i < 67; i++)
            {
                p.Gradient[i] = ((i % 5) - 2) * 0.3f * (s + 1);
            }

            optimizer.Step([p]);
        }

        Assert.All(p.Value.ToArray(), w => Assert.Equal(0.75f, w));
    }

    [Fact]
    public void Setter_Zero_IsAcceptedAndAdamKeepsItsMomentsUpdating()
    {
        // As Keras: the rate scales the step; the moment estimates still follow the gradients.
        var adam = new Adam();
        adam.LearningRate = 0f;
        var p = new Parameter("kernel", new TensorShape(3), true, null);
        p.Gradient.Fill(1f);
        adam.Step([p]);
        Assert.Equal(0f, p.Value[0]);
        Assert.Equal(0.1f, adam.GetOrCreateState(p)[0][0], 1e-7f);
    }

    [Fact]
    public void Load_KerasConfigWithLearningRateZero_Loads()
    {
        JsonNode keras = JsonNode.Parse("""{"class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.0, "momentum": 0.0, "nesterov": false}}""")!;
        Optimizer sgd = SerializationRegistry.Deserialize<Optimizer>(keras, new Config(), "optimizer");
        Assert.Equal(0f, sgd.LearningRate);
    }

    [Fact]
    public void LearningRateScheduler_RateThatUnderflowsFloat32_SetsZeroInsteadOfThrowing()
    {
        // 1e-50 is positive, so the callback accepts it; as float32 it is 0, which used to throw "learningRate must be positive".
        var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        float[] before = model.Layers[^1].Parameters[0].Value.ToArray();
        model.Fit(Tensor.RandomNormal(new TensorShape(16, 3), 1), Tensor.RandomNormal(new TensorShape(16, 2), 2), epochs: 2, batchSize: 8, verbose: 0,
            callbacks: [new LearningRateScheduler((epoch, rate) => 1e-50)]);
        Assert.Equal(0f, model.Optimizer!.LearningRate);
        Assert.Equal(before, model.Layers[^1].Parameters[0].Value.ToArray());
    }

    [Fact]
    public void LearningRateScheduler_ZeroForOneEpoch_FreezesThatEpochAndTrainsAfterIt()
    {
        // keras/src/callbacks/learning_rate_scheduler.py accepts any float the schedule returns, 0 included; the callback
        // used to refuse 0 ("must be positive"). Epoch 1 runs at 0 (the weights stay exactly), epoch 2 at 0.05 again.
        var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
        model.Compile(new Adam(0.05f), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(16, 3), 1), y = Tensor.RandomNormal(new TensorShape(16, 2), 2);
        var weights = new List<float[]>();
        var recorder = new LambdaCallback(onEpochEnd: (_, _) => weights.Add(model.Layers[^1].Parameters[0].Value.ToArray()));
        History history = model.Fit(x, y, epochs: 3, batchSize: 8, verbose: 0,
            callbacks: [new LearningRateScheduler((epoch, rate) => epoch == 1 ? 0.0 : epoch == 2 ? -0.0 : 0.05), recorder]);

        Assert.Equal([0.05, 0.0, 0.0], history["learning_rate"].Select(r => Math.Round(r, 6)));
        Assert.True(double.IsPositive(model.Optimizer!.LearningRate), "-0.0 is set as +0");
        Assert.Equal(weights[0], weights[1]);
        Assert.Equal(weights[1], weights[2]);

        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, callbacks: [new LearningRateScheduler((_, _) => 0.05)]);
        Assert.NotEqual(weights[2], model.Layers[^1].Parameters[0].Value.ToArray());
    }

    [Theory]
    [InlineData(-1e-9, "-1E-09")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    [InlineData(1e39, "1E+39")] // finite as a double, infinite as the float32 rate
    public void LearningRateScheduler_NegativeNaNOrInfiniteRate_IsRefusedNamingEpochAndValue(double bad, string shown)
    {
        var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(16, 3), 1), y = Tensor.RandomNormal(new TensorShape(16, 2), 2);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, epochs: 3, batchSize: 8, verbose: 0,
            callbacks: [new LearningRateScheduler((epoch, rate) => epoch == 2 ? bad : rate)]));
        Assert.Equal("schedule", ex.ParamName);
        Assert.Equal(bad, ex.ActualValue);
        Assert.Contains($"returned {shown} for epoch 2", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0.1f, model.Optimizer!.LearningRate);
    }

    [Theory]
    [InlineData(0.0, 0f)]
    [InlineData(0.001, 0.001f)]
    public void ReduceLROnPlateau_FactorZero_DropsTheRateToTheFloorOnce(double floor, float expected)
    {
        // reduce_lr_on_plateau.py refuses only factor >= 1: factor 0 gives max(lr * 0, min_lr) = min_lr, and since the
        // rate is then not above min_lr, nothing changes after that. The rate 0 it can give is a valid rate now.
        var model = new Sequential([new InputLayer(1), new Dense(1)]);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        var callback = new ReduceLROnPlateau(monitor: "loss", factor: 0, patience: 1, minLearningRate: floor) { Model = model };
        callback.OnTrainBegin(new Dictionary<string, double>());
        var rates = new List<float>();
        for (int epoch = 0; epoch < 4; epoch++)
        {
            callback.OnEpochEnd(epoch, new Dictionary<string, double> { ["loss"] = 1.0 });
            rates.Add((float)model.Optimizer!.LearningRate);
        }

        Assert.Equal([0.1f, expected, expected, expected], rates);
        Assert.Contains("< 0", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: -0.5)).Message, StringComparison.Ordinal);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: double.NaN)).ParamName);
    }

    private static Optimizer Create(string name, float lr) => name switch
    {
        "sgd" => new Sgd(lr, 0.9f),
        "sgd-nesterov" => new Sgd(lr, 0.9f, nesterov: true),
        "adam" => new Adam(lr),
        "adamw" => new AdamW(lr),
        "rmsprop" => new RmsProp(lr),
        "rmsprop-centered-momentum" => new RmsProp(lr, momentum: 0.5f, centered: true),
        "adagrad" => new Adagrad(lr),
        "adamax" => new Adamax(lr),
        "nadam" => new Nadam(lr),
        "adadelta" => new Adadelta(lr),
        "lion" => new Lion(lr),
        "ftrl" => new Ftrl(lr),
        "lamb" => new Lamb(lr),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
