using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.GradientChecking;

namespace NeuralNet.Tests.Models;

/// <summary>A random graph: a chain of steps, each reading the previous tensor and possibly an earlier one (a skip connection).</summary>
public sealed record GraphCase(int Batch, int Features, int[] Kinds, int[] Skips, bool SecondOutput, long Seed)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"batch {Batch}, features {Features}, steps [{string.Join(", ", Kinds.Select((k, i) => $"{GraphGradientProperties.KindNames[k]}(prev, t{Skips[i]})"))}], second output {SecondOutput}, seed {Seed}";
}

/// <summary>FsCheck generators of random graphs.</summary>
public static class GraphCases
{
    /// <summary>2-6 steps over 2-5 features, batch 1-3.</summary>
    public static Arbitrary<GraphCase> GraphCase() =>
        (from batch in Gen.Choose(1, 3)
         from features in Gen.Choose(2, 5)
         from steps in Gen.Choose(2, 6)
         from kinds in Gen.ArrayOf(Gen.Choose(0, GraphGradientProperties.KindNames.Length - 1), steps)
         from skips in Gen.ArrayOf(Gen.Choose(0, 100), steps)
         from second in Gen.Elements(true, false)
         from seed in Gen.Choose(0, 1_000_000)
         select new GraphCase(batch, features, kinds, skips.Select((s, i) => s % (i + 1)).ToArray(), second, seed)).ToArbitrary();
}

/// <summary>Whole graphs with fan-out, merges, shared layers and several outputs have gradients equal to finite differences.</summary>
public class GraphGradientProperties
{
    internal static readonly string[] KindNames = ["dense", "shared_dense", "add", "subtract", "multiply", "average", "concatenate_dense", "dot_dense"];

    [Property(Arbitrary = [typeof(GraphCases)], MaxTest = 40, Replay = "(20261203,4217)")]
    public void Backward_RandomGraph_MatchesFiniteDifferences(GraphCase c)
    {
        var x = new Input(new TensorShape(c.Features), "x");
        var tensors = new List<SymbolicTensor> { x };
        Dense? shared = null;
        for (int i = 0; i < c.Kinds.Length; i++)
        {
            SymbolicTensor previous = tensors[^1];
            SymbolicTensor skip = tensors[c.Skips[i]];
            tensors.Add(KindNames[c.Kinds[i]] switch
            {
                "dense" => new Dense(c.Features, ActivationFunction.Tanh).Call(previous),
                "shared_dense" => (shared ??= new Dense(c.Features, ActivationFunction.Tanh)).Call(previous),
                "add" => new Add().Call(previous, skip),
                "subtract" => new Subtract().Call(previous, skip),
                "multiply" => new Multiply().Call(previous, skip),
                "average" => new Average().Call(previous, skip, previous),
                "concatenate_dense" => new Dense(c.Features, ActivationFunction.Tanh).Call(new Concatenate().Call(previous, skip)),
                _ => new Dense(c.Features, ActivationFunction.Tanh).Call(new Concatenate().Call(previous, new Dot(1).Call(previous, skip))),
            });
        }

        // Parameters everywhere: a dense layer at the end of each output, so every path carries a weight gradient.
        List<SymbolicTensor> outputs = [new Dense(2, ActivationFunction.Sigmoid).Call(tensors[^1])];
        if (c.SecondOutput)
        {
            outputs.Add(new Dense(3).Call(tensors[(c.Kinds.Length + 1) / 2]));
        }

        var model = new Functional([x], outputs, seed: c.Seed);
        Tensor input = GradientChecking.TestData.Normal(c.Seed + 1, 0.7f, c.Batch, c.Features);
        ModelGradientChecker.Check(model, [input], c.Seed + 2).AssertPassed();
    }
}
