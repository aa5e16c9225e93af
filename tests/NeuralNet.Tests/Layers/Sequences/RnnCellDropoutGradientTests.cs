using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>
/// The built-in cells' backward pass in training with dropout and recurrent_dropout, checked against numerical gradients
/// under fixed masks (every pass of the check reseeds the layer's stream, as RecurrentDropoutTests do for the layers).
/// </summary>
public sealed class RnnCellDropoutGradientTests
{
    private static readonly Func<RnnCell>[] Cells =
    [
        () => new SimpleRnnCell(3, dropout: 0.3, recurrentDropout: 0.4, seed: 5),
        () => new LstmCell(3, dropout: 0.3, recurrentDropout: 0.4, seed: 5),
        () => new GruCell(3, dropout: 0.3, recurrentDropout: 0.4, seed: 5),
        () => new GruCell(3, resetAfter: false, dropout: 0.3, recurrentDropout: 0.4, seed: 5),
        () => new StackedRnnCells(new LstmCell(2, dropout: 0.2, seed: 5), new GruCell(3, recurrentDropout: 0.5, seed: 5)),
    ];

    public static TheoryData<int> CellIndices => [.. Enumerable.Range(0, Cells.Length)];

    [Theory]
    [MemberData(nameof(CellIndices))]
    public void Backward_in_training_with_dropout_matches_numerical_gradients_under_the_same_masks(int cell)
    {
        var layer = new Rnn(Cells[cell](), returnSequences: true, goBackwards: cell == 2) { Seed = 3 };
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 3), 6);
        var reseeding = new ReseedingLayer(layer, 5);
        reseeding.Build(new TensorShape(4, 3));

        GradientChecker.CheckLayer(reseeding, input, seed: 9, training: true).AssertPassed(maxKinkFraction: 0);
    }
}
