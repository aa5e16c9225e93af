using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// Keras gives every cell of StackedRNNCells its own SeedGenerator (each cell's constructor makes one): here each cell
// draws from a generator of its own, reseeded for each sequence from the layer's generator and the cell's index.
public class StackedRnnCellsSeedTests
{
    private static (float[] First, float[] Second) Masks(bool firstCellAlsoDropsInputs, long layerSeed)
    {
        // Cell 1 reads cell 0's 3 outputs: both cells' recurrent masks are (batch, 3).
        var layer = new Rnn(new StackedRnnCells(new LstmCell(3, dropout: firstCellAlsoDropsInputs ? 0.5 : 0, recurrentDropout: 0.5), new GruCell(3, recurrentDropout: 0.5))) { Seed = layerSeed };
        layer.Build(new TensorShape(4, 2));
        layer.Forward(Tensor.RandomNormal(new TensorShape(6, 4, 2), 1), training: true);
        var cells = ((StackedRnnCells)layer.Cell).Cells;
        return (((GatedRnnCell)cells[0]).StateDropoutMask.ToArray(), ((GatedRnnCell)cells[1]).StateDropoutMask.ToArray());
    }

    [Fact]
    public void Each_cell_draws_its_own_masks_reproducibly_from_the_layer_seed()
    {
        (float[] first, float[] second) = Masks(false, 7);
        Assert.Equal(18, first.Length);
        Assert.Equal(18, second.Length);
        Assert.Contains(0f, first);
        Assert.Contains(2f, first);
        Assert.NotEqual(first, second);

        // Same seed, same bits; another seed, other masks.
        (float[] againFirst, float[] againSecond) = Masks(false, 7);
        Assert.Equal(first, againFirst);
        Assert.Equal(second, againSecond);
        Assert.NotEqual(first, Masks(false, 8).First);
    }

    [Fact]
    public void A_cell_masks_do_not_depend_on_what_the_cells_before_it_draw()
    {
        // With one generator for the stack, cell 0's extra input mask would shift every draw of cell 1.
        (float[] first, float[] second) = Masks(false, 7);
        (float[] otherFirst, float[] otherSecond) = Masks(true, 7);

        Assert.Equal(second, otherSecond);

        // Cell 0 draws its input mask before its recurrent one (Keras' order), so its own recurrent mask moves.
        Assert.NotEqual(first, otherFirst);
    }
}
