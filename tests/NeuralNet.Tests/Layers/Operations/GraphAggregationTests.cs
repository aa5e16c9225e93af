using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// keras.io's gnn_citations aggregation (gather the neighbours' representations with ops.take, sum them per node with
/// ops.segment_sum) written with Take and SegmentSum, trained on a small planted-partition graph (session 44).
/// </summary>
public class GraphAggregationTests
{
    private const int Nodes = 16;

    // Two communities of 8 nodes (0-7 and 8-15): each node linked to 3 others of its own and, every fourth node, to one
    // of the other community, both directions. Only the even nodes show their community in their features (+1 or -1 in
    // feature 0, noise elsewhere); the odd nodes must read it from their neighbours.
    private static (Tensor Features, Tensor Sources, Tensor Targets, Tensor Labels) PlantedPartition(int seed)
    {
        var random = new Random(seed);
        var edges = new List<(int From, int To)>();
        for (int node = 0; node < Nodes; node++)
        {
            int community = node / 8;
            for (int k = 0; k < 3; k++)
            {
                int other = (community * 8) + ((node % 8) + 1 + random.Next(7)) % 8;
                edges.Add((node, other));
                edges.Add((other, node));
            }

            if (node % 4 == 0)
            {
                int other = ((1 - community) * 8) + random.Next(8);
                edges.Add((node, other));
                edges.Add((other, node));
            }
        }

        var features = new float[Nodes * 4];
        for (int node = 0; node < Nodes; node++)
        {
            for (int f = 0; f < 4; f++)
            {
                features[(node * 4) + f] = (float)(random.NextDouble() - 0.5);
            }

            features[node * 4] = node % 2 == 0 ? (node < 8 ? 1f : -1f) : 0f;
        }

        int count = edges.Count;
        return (
            Tensor.FromArray(features, 1, Nodes, 4),
            Tensor.FromArray([.. edges.Select(e => (float)e.From)], 1, count),
            Tensor.FromArray([.. edges.Select(e => (float)e.To)], 1, count),
            Tensor.FromArray([.. Enumerable.Range(0, Nodes).Select(n => n < 8 ? 0f : 1f)], 1, Nodes));
    }

    [Fact]
    public void Fit_GraphNetworkAggregatingWithTakeAndSegmentSum_LearnsThePlantedPartition()
    {
        (Tensor features, Tensor sources, Tensor targets, Tensor labels) = PlantedPartition(seed: 3);
        int edges = sources.Shape[1];

        // Messages: each edge's source representation (ops.take); aggregated at the edge's target (ops.segment_sum).
        var x = new Input(new TensorShape(Nodes, 4), name: "features");
        var from = new Input(new TensorShape(edges), name: "sources");
        var to = new Input(new TensorShape(edges), name: "targets");
        SymbolicTensor h = new Dense(8, ActivationFunction.Relu).Call(x);
        SymbolicTensor messages = new Take(axis: 1).Call(h, from);
        SymbolicTensor aggregated = new SegmentSum(numSegments: Nodes).Call(messages, to);
        SymbolicTensor combined = new Concatenate().Call(h, aggregated);
        SymbolicTensor y = new Dense(2, ActivationFunction.Softmax).Call(combined);
        var model = new Functional([x, from, to], y, seed: 5);
        model.Compile(new Adam(0.05), new SparseCategoricalCrossEntropy());

        History history = model.Fit(new[] { features, sources, targets }, labels, epochs: 60, batchSize: 1, verbose: 0, seed: 7);

        IReadOnlyList<double> loss = history["loss"];
        Assert.True(loss[^1] < loss[0] * 0.25, $"loss {loss[0]:F4} -> {loss[^1]:F4}");

        // Every node, the odd ones included (no signal of their own), is put in its community.
        float[] p = model.Predict(new[] { features, sources, targets }).ToArray();
        for (int node = 0; node < Nodes; node++)
        {
            Assert.Equal(node < 8, p[node * 2] > p[(node * 2) + 1]);
        }
    }
}
