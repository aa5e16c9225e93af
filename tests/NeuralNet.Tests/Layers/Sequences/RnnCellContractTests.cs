using NeuralNet.Initializers;
using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>What the Rnn layer promises a cell of your own: zeroed gradient buffers, sizes read once, checked sub-cells, own buffers.</summary>
public sealed class RnnCellContractTests
{
    [Fact]
    public void A_cell_that_adds_to_its_gradient_buffers_gets_them_zeroed_at_every_step()
    {
        // h_t = h_{t−1} + x_t, so the last output is Σ_t x_t and dLoss/dx_t is dLoss/dOutput at every step: all ones under
        // an upstream gradient of ones. A cell adding into buffers that held the previous step's values would get 1, 2, 3, ...
        var layer = new Rnn(new AccumulatingCell(3));
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 3), 1);
        layer.Forward(input, training: true);

        Tensor dx = layer.Backward(Tensor.Ones(2, 3));

        Assert.All(dx.ToArray(), g => Assert.Equal(1f, g));
    }

    [Fact]
    public void A_cell_whose_StateSizes_allocates_on_every_call_trains_without_allocating_after_the_first_batch()
    {
        var layer = new Rnn(new AccumulatingCell(3), returnSequences: true);
        Tensor input = Tensor.RandomNormal(new TensorShape(4, 5, 3), 2);
        Tensor mask = Tensor.FromArray([.. Enumerable.Range(0, 20).Select(i => i % 5 < 2 + (i / 5) ? 1f : 0f)], 4, 5);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(4, 5, 3), 3);
        layer.Forward(input, mask, training: true);
        layer.Backward(upstream);

        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(input, mask, training: true);
            layer.Backward(upstream);
        });
    }

    [Fact]
    public void A_stacked_cell_whose_state_sizes_change_when_built_is_refused_naming_it()
    {
        // ShiftingCell declares [2] and takes its input's width (the GRU's 3 units) when built.
        var layer = new Rnn(new StackedRnnCells(new GruCell(3), new RnnTests.ShiftingCell()), name: "seq");

        var error = Assert.Throws<InvalidOperationException>(() => layer.Build(new TensorShape(5, 7)));

        Assert.Contains("StackedRNNCells' cell 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("ShiftingCell", error.Message, StringComparison.Ordinal);
        Assert.Contains("[2]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Buffers_a_cell_creates_in_OnBuild_are_its_own_in_each_layer()
    {
        var cell = new AccumulatingCell(3);
        var a = new Rnn(cell);
        var b = new Rnn(cell);
        a.Build(new TensorShape(4, 3));
        b.Build(new TensorShape(4, 3));

        Assert.Null(cell.Scratch);
        Assert.NotNull(((AccumulatingCell)a.Cell).Scratch);
        Assert.NotSame(((AccumulatingCell)a.Cell).Scratch, ((AccumulatingCell)b.Cell).Scratch);
    }

    // h = h_prev + x (input width = units), adding its gradients into the buffers as the contract allows; StateSizes
    // written the short way, a new array on every call.
    private sealed class AccumulatingCell(int units) : RnnCell
    {
        public float[]? Scratch { get; private set; }

        public override IReadOnlyList<int> StateSizes => [units];

        protected override void OnBuild(int inputSize) => Scratch = new float[units];

        public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates)
        {
            for (int i = 0; i < batch * units; i++)
            {
                newStates[i] = output[i] = states[i] + input[i];
            }
        }

        public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
            ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients)
        {
            for (int i = 0; i < batch * units; i++)
            {
                float g = outputGradient[i] + newStateGradients[i];
                inputGradient[i] += g;
                stateGradients[i] += g;
            }
        }
    }
}
