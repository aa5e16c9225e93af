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
        "sgd", "sgd-nesterov", "adam", "adamw", "rmsprop", "rmsprop-centered-momentum", "adagrad", "adamax", "nadam", "adadelta", "lion", "ftrl",
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
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
