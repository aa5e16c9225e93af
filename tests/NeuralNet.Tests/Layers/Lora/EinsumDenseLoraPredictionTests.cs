using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Layers.Lora;

// EinsumDense with LoRA merges W + (lora_alpha / lora_rank) · A·B (Keras' kernel property, einsum_dense.py) once per
// prediction (LowRankAdaptation.MergeOncePerPrediction): the later batches reuse it while the weights cannot change, and a
// change of A or B is seen from the next batch after a callback, or the next prediction.
public class EinsumDenseLoraPredictionTests
{
    private static Functional Build(out EinsumDense heads)
    {
        var input = new Input(4, 5);
        heads = new EinsumDense("abc,cde->abde", [null, 2, 3], ActivationFunction.Tanh, "de", name: "heads");
        return new Functional(input, heads.Call(input), seed: 31);
    }

    // The same model without LoRA, its kernel the adapted model's merged kernel as it is now.
    private static Functional PlainWithMergedKernel(EinsumDense adapted)
    {
        Functional plain = Build(out EinsumDense heads);
        adapted.GetMergedWeight().CopyTo(heads.Kernel.Value);
        adapted.Bias!.Value.CopyTo(heads.Bias!.Value);
        return plain;
    }

    [Fact]
    public void Predict_over_four_batches_merges_once_and_each_training_step_merges_again()
    {
        Functional model = Build(out EinsumDense heads);
        heads.EnableLora(2, 3f);
        LoraReference.Randomize(heads, 32);
        Tensor x = TestData.Normal(33, 1f, 10, 4, 5);

        long before = heads.LoraMergeCount;
        Tensor y = model.Predict(x, batchSize: 3);
        Assert.Equal(1, heads.LoraMergeCount - before);
        LoraReference.AssertClose(PlainWithMergedKernel(heads).Predict(x, batchSize: 3).AsReadOnlySpan(), y.AsReadOnlySpan());

        // Training changes A and B at every step: each forward pass merges afresh.
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor target = Tensor.RandomNormal(y.Shape, 34);
        before = heads.LoraMergeCount;
        model.TrainStep(x, target);
        model.TrainStep(x, target);
        Assert.Equal(2, heads.LoraMergeCount - before);
    }

    [Fact]
    public void A_change_of_B_from_a_predict_callback_is_seen_from_the_next_batch_and_by_the_next_prediction()
    {
        Functional model = Build(out EinsumDense heads);
        heads.EnableLora(2, 3f);
        LoraReference.Randomize(heads, 35);
        Tensor x = TestData.Normal(36, 1f, 9, 4, 5);
        Tensor before = PlainWithMergedKernel(heads).Predict(x, batchSize: 3);
        Tensor newB = Tensor.RandomNormal(heads.LoraKernelB!.Shape, 37, 0f, 0.5f);
        var changeB = new LambdaCallback(onPredictBatchEnd: (batch, _) =>
        {
            if (batch == 0)
            {
                newB.CopyTo(heads.LoraKernelB.Value);
            }
        });

        Tensor y = model.Predict(x, batchSize: 3, callbacks: [changeB]);

        // Callbacks may change weights (the prediction renews its pass after their events): batch 0 ran on the old B, batches
        // 1 and 2 on the new one. Each sample's output is 4 · 2 · 3 values.
        Tensor after = PlainWithMergedKernel(heads).Predict(x, batchSize: 3);
        const int Sample = 24;
        LoraReference.AssertClose(before.AsReadOnlySpan()[..(3 * Sample)], y.AsReadOnlySpan()[..(3 * Sample)]);
        LoraReference.AssertClose(after.AsReadOnlySpan()[(3 * Sample)..], y.AsReadOnlySpan()[(3 * Sample)..]);
        Assert.NotEqual(before.ToArray(), after.ToArray());

        // The next prediction, without callbacks, merges the new B too.
        LoraReference.AssertClose(after.AsReadOnlySpan(), model.Predict(x, batchSize: 3).AsReadOnlySpan());
    }
}
