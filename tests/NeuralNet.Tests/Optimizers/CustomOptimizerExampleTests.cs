using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Optimizers.Schedules;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

// docs/serialization.md: begin
/// <summary>Sign descent: w -= learningRate * sign(g).</summary>
public sealed class SignSgd : Optimizer
{
    public SignSgd(double learningRate = 0.01)
        : base(learningRate)
    {
    }

    public override string Name => "sign_sgd";

    protected override IReadOnlyList<string> SlotNames => [];

    // "learning_rate" is a number, or a schedule object that ReadSchedule turns into the optimizer's Schedule.
    // ReadClipping and ReadSchedule are protected: called on a SignSgd here, as a chain (they return Optimizer) would not
    // compile outside the library.
    public static SignSgd FromConfig(Config config)
    {
        var optimizer = new SignSgd(config.GetNode("learning_rate") is JsonObject ? 0.01f : config.GetSingle("learning_rate", 0.01f));
        optimizer.ReadClipping(config);
        optimizer.ReadSchedule(config);
        return optimizer;
    }

    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        float rate = (float)LearningRate; // a double holding the float32 rate the optimizer keeps
        for (int i = 0; i < values.Length; i++)
        {
            values[i] -= rate * MathF.Sign(gradient[i]);
        }
    }
}
// docs/serialization.md: end

/// <summary>The custom optimizer of docs/serialization.md: it compiles, saves and loads with a schedule, and is the documented code.</summary>
public class CustomOptimizerExampleTests
{
    static CustomOptimizerExampleTests() => SerializationRegistry.Register("Tests>SignSgd", SignSgd.FromConfig);

    [Fact]
    public void SignSgd_WithScheduleAndClipping_SavesLoadsAndResumesBitForBit()
    {
        // The example read "learning_rate" with GetSingle and never called ReadSchedule: a SignSgd saved with a Schedule
        // failed to load ("learning_rate" is then a schedule object).
        var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 4);
        model.Compile(new SignSgd { Schedule = new ExponentialDecay(0.05, 2, 0.5), ClipNorm = 1f }, new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(16, 3), 1), y = Tensor.RandomNormal(new TensorShape(16, 2), 2);
        model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, shuffle: false);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-signsgd-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            var sgd = Assert.IsType<SignSgd>(loaded.Optimizer);
            Assert.IsType<ExponentialDecay>(sgd.Schedule);
            Assert.Equal(1f, sgd.ClipNorm);
            Assert.Equal(model.Optimizer!.LearningRate, sgd.LearningRate);
            model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, shuffle: false);
            loaded.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, shuffle: false);
            Assert.Equal(model.Parameters.Select(p => p.Value.ToArray()), loaded.Parameters.Select(p => p.Value.ToArray()));

            // And with a fixed rate.
            model.Compile(new SignSgd(0.02f), new MeanSquaredError());
            model.Save(path);
            Assert.Equal(0.02f, Assert.IsType<SignSgd>(Model.Load(path).Optimizer).LearningRate);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SignSgd_IsTheCodeOfDocsSerialization()
    {
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "NeuralNet.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        if (root is null)
        {
            return; // not run from a clone of the repository
        }

        string docs = File.ReadAllText(Path.Combine(root, "docs", "serialization.md")).ReplaceLineEndings("\n");
        int start = docs.IndexOf("/// <summary>Sign descent", StringComparison.Ordinal);
        string documented = docs[start..docs.IndexOf("\n```", start, StringComparison.Ordinal)];
        string source = File.ReadAllText(Path.Combine(root, "tests", "NeuralNet.Tests", "Optimizers", "CustomOptimizerExampleTests.cs")).ReplaceLineEndings("\n");
        int begin = source.IndexOf("// docs/serialization.md: begin\n", StringComparison.Ordinal) + "// docs/serialization.md: begin\n".Length;
        string compiled = source[begin..source.IndexOf("\n// docs/serialization.md: end", StringComparison.Ordinal)];
        Assert.Equal(compiled, documented);
    }
}
