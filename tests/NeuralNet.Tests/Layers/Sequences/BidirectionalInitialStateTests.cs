using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// Bidirectional with initial states (Keras' initial_state): the forward layer's states, then the backward layer's.
public class BidirectionalInitialStateTests
{
    public static TheoryData<int> Variants => [0, 1, 2, 3];

    // LSTM both ways (merge concat, sequences), GRU both ways (sum), LSTM forward and GRU backward (none, states
    // returned), SimpleRNN both ways (ave, masked).
    private static Bidirectional Make(int variant) => variant switch
    {
        0 => new Bidirectional(new Lstm(3, returnSequences: true)) { Seed = 3 },
        1 => new Bidirectional(new Gru(3), BidirectionalMergeMode.Sum) { Seed = 3 },
        2 => new Bidirectional(new Lstm(3) { ReturnState = true }, BidirectionalMergeMode.None, new Gru(2, goBackwards: true) { ReturnState = true }) { Seed = 3 },
        _ => new Bidirectional(new SimpleRnn(3, returnSequences: true), BidirectionalMergeMode.Ave) { Seed = 3 },
    };

    private static Tensor[] Inputs(Bidirectional layer, long seed)
    {
        int forwardUnits = ((Recurrent)layer.Layer).Units, backwardUnits = layer.Layer is Lstm && layer.MergeMode == BidirectionalMergeMode.None ? 2 : forwardUnits;
        int forwardStates = ((Recurrent)layer.Layer).StateCount, backwardStates = layer.MergeMode == BidirectionalMergeMode.None ? 1 : forwardStates;
        return [Tensor.RandomNormal(new TensorShape(2, 4, 3), seed),
            .. Enumerable.Range(0, forwardStates).Select(k => Tensor.RandomNormal(new TensorShape(2, forwardUnits), seed + 1 + k)),
            .. Enumerable.Range(0, backwardStates).Select(k => Tensor.RandomNormal(new TensorShape(2, backwardUnits), seed + 10 + k))];
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Each_direction_starts_from_its_own_states(int variant)
    {
        Bidirectional layer = Make(variant);
        Tensor[] inputs = Inputs(layer, 5);
        layer.Build([.. inputs.Select(t => t.Shape.DropFirst())]);
        float[] output = layer.Forward(inputs, training: false).ToArray();

        // The same directions run alone from those states give the same output, merged as the layer merges.
        int forwardStates = ((Recurrent)layer.ForwardLayer).StateCount;
        float[] forward = layer.ForwardLayer.Forward([inputs[0], .. inputs[1..(1 + forwardStates)]], training: false).ToArray();
        float[][] forwardFinal = [.. Enumerable.Range(1, layer.ForwardLayer.OutputCount - 1).Select(k => layer.ForwardLayer.GetOutput(k).ToArray())];
        float[] backward = layer.BackwardLayer.Forward([inputs[0], .. inputs[(1 + forwardStates)..]], training: false).ToArray();
        float[][] backwardFinal = [.. Enumerable.Range(1, layer.BackwardLayer.OutputCount - 1).Select(k => layer.BackwardLayer.GetOutput(k).ToArray())];
        float[] alone = Merge(layer, forward, backward);
        Assert.Equal(alone, output[..alone.Length]);

        // Without a merge the backward layer's output is the second; returned states follow, the forward layer's first.
        layer.Forward(inputs, training: false);
        float[][] rest = [.. layer.MergeMode == BidirectionalMergeMode.None ? [backward] : Array.Empty<float[]>(), .. forwardFinal, .. backwardFinal];
        Assert.Equal(1 + rest.Length, layer.OutputCount);
        for (int k = 1; k < layer.OutputCount; k++)
        {
            Assert.Equal(rest[k - 1], layer.GetOutput(k).ToArray());
        }

        // And other states give another output: the states are read.
        Tensor[] others = [inputs[0], .. inputs[1..].Select(t => t * 2f)];
        Assert.NotEqual(output, layer.Forward(others, training: false).ToArray());
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Gradients_reach_the_sequence_both_directions_states_and_the_weights(int variant)
    {
        Bidirectional layer = Make(variant);
        Tensor[] inputs = Inputs(layer, 7);
        layer.Build([.. inputs.Select(t => t.Shape.DropFirst())]);
        Tensor? mask = variant == 3 ? Tensor.FromArray([1f, 1, 0, 1, 0, 1, 1, 1], 2, 4) : null;
        MultiOutputGradientChecker.CheckLayer(layer, inputs, seed: 11, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void The_wrong_number_of_states_is_refused_naming_the_layer()
    {
        var layer = new Bidirectional(new Lstm(3), name: "bi");
        var error = Assert.Throws<ArgumentException>(() => layer.Build([new TensorShape(4, 3), new TensorShape(3), new TensorShape(3)]));
        Assert.Contains("Bidirectional 'bi' takes its input alone or with all initial states, the forward layer's 2 then the backward layer's 2, but got 2", error.Message, StringComparison.Ordinal);
        var shape = new Bidirectional(new Gru(3));
        Assert.Throws<ArgumentException>(() => shape.Build([new TensorShape(4, 3), new TensorShape(3), new TensorShape(4)]));
    }

    [Fact]
    public void An_encoder_decoder_from_bidirectional_states_trains_saves_and_loads()
    {
        // The encoder's final states (two per direction) start a bidirectional decoder; the file keeps the states as
        // Keras' initial_state keyword.
        var source = new Input(new TensorShape(5, 3), "source");
        var target = new Input(new TensorShape(4, 2), "target");
        SymbolicTensor[] encoded = new Bidirectional(new Lstm(3) { ReturnState = true }, name: "encoder").CallOutputs(source);
        SymbolicTensor decoded = new Bidirectional(new Lstm(3, returnSequences: true), name: "decoder").CallOutputs(target, encoded[1], encoded[2], encoded[3], encoded[4])[0];
        var model = new Functional([source, target], [new Dense(2, name: "out").Call(decoded)], seed: 4);
        model.Compile(new NeuralNet.Optimizers.Adam(0.01f), new NeuralNet.Losses.MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 5, 3), 1), y = Tensor.RandomNormal(new TensorShape(8, 4, 2), 2), t = Tensor.RandomNormal(new TensorShape(8, 4, 2), 3);
        model.Fit(new[] { x, y }, t, epochs: 2, batchSize: 4, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-bidi-states-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(model.Predict(new[] { x, y }).ToArray(), loaded.Predict(new[] { x, y }).ToArray());
            var (_, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
            Assert.Contains("\"initial_state\":[", metadata["model_config"], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static float[] Merge(Bidirectional layer, float[] forward, float[] backward)
    {
        int batch = 2, steps = layer.ReturnSequences ? 4 : 1, uf = forward.Length / (batch * steps), ub = backward.Length / (batch * steps);
        if (layer.MergeMode == BidirectionalMergeMode.None)
        {
            return forward;
        }

        var merged = new List<float>();
        for (int n = 0; n < batch; n++)
        {
            for (int s = 0; s < steps; s++)
            {
                // The backward layer's sequence comes in the order its steps ran: step s of time is its step steps − 1 − s.
                ReadOnlySpan<float> f = forward.AsSpan(((n * steps) + s) * uf, uf), b = backward.AsSpan(((n * steps) + (steps - 1 - s)) * ub, ub);
                for (int j = 0; j < (layer.MergeMode == BidirectionalMergeMode.Concat ? uf + ub : uf); j++)
                {
                    merged.Add(layer.MergeMode switch
                    {
                        BidirectionalMergeMode.Concat => j < uf ? f[j] : b[j - uf],
                        BidirectionalMergeMode.Sum => f[j] + b[j],
                        BidirectionalMergeMode.Mul => f[j] * b[j],
                        _ => (f[j] + b[j]) * 0.5f,
                    });
                }
            }
        }

        return [.. merged];
    }
}
