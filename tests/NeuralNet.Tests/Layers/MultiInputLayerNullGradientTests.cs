using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// A <see cref="MultiInputLayer"/> of one input that leaves its input's gradient slot null (session 39): its input gets no
/// gradient, as zeros would give, rather than the output's gradient passed through.
/// </summary>
public class MultiInputLayerNullGradientTests
{
    [Fact]
    public void Backward_OneInputLayerLeavingItsSlotNull_ReturnsZerosNotTheOutputGradient()
    {
        var ones = new OnesLike();
        ones.Build(new TensorShape(3));
        ones.Forward(Tensor.Ones(2, 3), training: true);
        Tensor outputGradient = TestData.Normal(1, 1f, 2, 3);

        Tensor inputGradient = ones.Backward(outputGradient);

        Assert.NotSame(outputGradient, inputGradient);
        Assert.Equal(new TensorShape(2, 3), inputGradient.Shape);
        Assert.All(inputGradient.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void ComputeGradients_DenseFeedingOnlyALayerLeavingItsSlotNull_GetsZeroGradients()
    {
        var x = new Input(4);
        var dense = new Dense(3, name: "d");
        var model = new Functional(x, new OnesLike().Call(dense.Call(x)), seed: 2);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());

        model.ComputeGradients(TestData.Normal(3, 1f, 5, 4), TestData.Normal(4, 1f, 5, 3));

        foreach (Parameter p in dense.Parameters)
        {
            Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g));
        }
    }

    [Fact]
    public void Backward_ModelAddingALayerLeavingItsSlotNullToItsInput_MatchesNumericalGradients()
    {
        // y = h + ones_like(h), h = dense(x): dy/dh is 1 (passing the output's gradient through ones_like would make it 2).
        var x = new Input(4);
        SymbolicTensor h = new Dense(3).Call(x);
        var model = new Functional(x, new Add().Call(h, new OnesLike().Call(h)), seed: 5);

        ModelGradientChecker.Check(model, [TestData.Normal(6, 1f, 5, 4)], seed: 7).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void TrainStep_LayerLeavingItsSlotNull_AllocatesNothingAfterTheFirstBatch()
    {
        var x = new Input(4);
        SymbolicTensor h = new Dense(3).Call(x);
        var model = new Functional(x, new Add().Call(h, new OnesLike().Call(h)), seed: 8);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor inputs = TestData.Normal(9, 1f, 5, 4), targets = TestData.Normal(10, 1f, 5, 3);
        model.TrainStep(inputs, targets);
        model.TrainStep(inputs, targets);

        AllocationCheck.AssertNone(() => model.TrainStep(inputs, targets));
    }

    // A user's layer as the docs describe one: ones shaped as its input, and no gradient for that input (the slot stays null).
    private sealed class OnesLike() : MultiInputLayer(null)
    {
        private Tensor? _output;

        public override string DefaultNamePrefix => "ones_like";

        protected override int MaximumInputCount => 1;

        protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes) => inputShapes[0];

        protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
        {
            Tensor y = BatchView(ref _output, inputs[0].Shape[0], OutputShape);
            y.AsSpan().Fill(1f);
            return y;
        }

        protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
        {
        }
    }
}
