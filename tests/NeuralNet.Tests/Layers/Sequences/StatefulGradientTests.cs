using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// A stateful call starts from the states the previous call left (Keras' stateful=True) and, as in Keras, its gradients
// stop there (truncated backpropagation through time): the carried states are constants of the call. Each central
// difference therefore restores them before its forward call, so that every evaluation computes the same function of
// the input and the weights as the analytic backward pass.
public class StatefulGradientTests
{
    public static TheoryData<int, bool> Layers =>
        new() { { 0, false }, { 1, false }, { 2, false }, { 3, false }, { 4, false }, { 5, false }, { 6, false }, { 1, true }, { 2, true }, { 4, true }, { 5, true } };

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_call_from_carried_states_has_the_numerical_gradients_of_its_input_and_weights(int which, bool masked)
    {
        Layer layer = which switch
        {
            0 => new SimpleRnn(3, returnSequences: true) { Stateful = true },
            1 => new Lstm(3) { Stateful = true },
            2 => new Gru(3, returnSequences: true, goBackwards: true) { Stateful = true },
            3 => new Gru(3, resetAfter: false) { Stateful = true },
            4 => new Rnn(new StackedRnnCells(new LstmCell(3), new MinimalRnnCell(2)), returnSequences: true) { Stateful = true },
            5 => new Bidirectional(new Lstm(2, returnSequences: true) { Stateful = true }),
            _ => new Bidirectional(new Rnn(new GruCell(2)) { Stateful = true }, BidirectionalMergeMode.Sum),
        };
        layer.Seed = 7;
        layer.Build(new TensorShape(4, 3));
        Tensor first = Tensor.RandomNormal(new TensorShape(2, 4, 3), 11);
        Tensor second = Tensor.RandomNormal(new TensorShape(2, 4, 3), 12);
        // Masked steps carry the states through (Keras' RNN); the first call's masked last step keeps its state too.
        Tensor? mask = masked ? Tensor.FromArray([1, 0, 1, 1, /**/ 1, 1, 1, 0], 2, 4) : null;
        float[] fromZeroStates = layer.Forward(second, mask, training: false).ToArray();
        ((IStatefulLayer)layer).ResetStates();
        layer.Forward(first, mask, training: false);

        Tensor[] carriers = ((IStatefulLayer)layer).CarriedStates;
        float[][] carried = [.. carriers.Select(s => s.ToArray())];
        Assert.NotEmpty(carried);
        Assert.All(carried, state => Assert.Contains(state, v => v != 0));

        // The carried states change what the call computes (else the check below would not test them).
        Assert.NotEqual(fromZeroStates, layer.Forward(second, mask, training: false).ToArray());

        void Restore()
        {
            for (int i = 0; i < carriers.Length; i++)
            {
                carried[i].CopyTo(carriers[i].AsSpan());
            }
        }

        GradientChecker.CheckLayer(layer, second, seed: 13, mask: mask, beforeEachForward: Restore).AssertPassed();
    }
}
