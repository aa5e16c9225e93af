using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// Keras 3's Bidirectional.compute_mask: without a merge, both returned sequences carry the input's mask.
public class BidirectionalMaskTests
{
    [Fact]
    public void CallOutputs_MergeNoneWithMask_BothSequencesCarryTheMask()
    {
        var ids = new Input(new TensorShape(5), "ids");
        SymbolicTensor words = new Embedding(10, 3, maskZero: true).Call(ids);
        SymbolicTensor[] both = new Bidirectional(new Gru(2, returnSequences: true), BidirectionalMergeMode.None).CallOutputs(words);
        var pool = new GlobalAveragePooling1D();
        var model = new Functional([ids], [both[1], pool.Call(both[1])], seed: 3);
        Tensor x = Tensor.FromArray([0, 0, 3, 5, 2, 7, 4, 0, 0, 0], 2, 5);

        IReadOnlyList<Tensor> outputs = model.PredictOutputs(x);

        // The masked mean over the real steps only (Keras' GlobalAveragePooling1D with a mask).
        Tensor backward = outputs[0];
        for (int row = 0; row < 2; row++)
        {
            for (int unit = 0; unit < 2; unit++)
            {
                double sum = 0;
                int count = 0;
                for (int step = 0; step < 5; step++)
                {
                    if (x[row, step] != 0)
                    {
                        sum += backward[row, step, unit];
                        count++;
                    }
                }

                Assert.Equal(sum / count, outputs[1][row, unit], 5);
            }
        }

        // Without the mask the mean would take the padded steps too: the check above can tell them apart.
        double unmasked = Enumerable.Range(0, 5).Average(step => (double)backward[0, step, 0]);
        Assert.NotEqual(unmasked, outputs[1][0, 0], 3);
    }

    [Fact]
    public void CallOutputs_MergeNoneReturningStates_StatesCarryNoMask()
    {
        var ids = new Input(new TensorShape(4), "ids");
        SymbolicTensor words = new Embedding(10, 3, maskZero: true).Call(ids);
        var layer = new Bidirectional(new Lstm(2, returnSequences: true) { ReturnState = true }, BidirectionalMergeMode.None);
        SymbolicTensor[] all = layer.CallOutputs(words);
        var model = new Functional([ids], [all[0]], seed: 4);
        model.Predict(Tensor.FromArray([0, 3, 5, 2], 1, 4));

        Assert.NotNull(layer.OutputMaskAt(0));
        Assert.Same(layer.OutputMaskAt(0), layer.OutputMaskAt(1));
        Assert.All(Enumerable.Range(2, all.Length - 2), k => Assert.Null(layer.OutputMaskAt(k)));
    }
}
