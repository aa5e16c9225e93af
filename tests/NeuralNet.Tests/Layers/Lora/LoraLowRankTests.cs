using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Lora;

// Dense and Embedding compute LoRA in its low-rank form (LowRankPass) and EinsumDense merges once per prediction: the values
// are still Keras' (weight + (lora_alpha / lora_rank) · A @ B, keras/src/layers/core/dense.py and embedding.py), checked here
// against that formula, and the work is that of the batch's rows, not of the whole weight.
public class LoraLowRankTests
{
    private static Embedding BuiltEmbedding(int inputDim, int outputDim, int idsPerSample, long seed)
    {
        var layer = new Embedding(inputDim, outputDim, name: "tokens") { Seed = seed, ComputesInputGradient = false };
        layer.Build(new TensorShape(idsPerSample));
        layer.InitializeParameters();
        return layer;
    }

    [Fact]
    public void Frozen_Dense_with_LoRA_passes_the_input_gradient_of_the_merged_kernel()
    {
        // A frozen layer computes no A or B gradient but still dx = dZ·Wᵀ + scale · (dZ·Bᵀ)·Aᵀ.
        var dense = new Dense(4, ActivationFunction.Tanh, name: "dense") { Seed = 6 };
        dense.Build(new TensorShape(5));
        dense.EnableLora(3, 2f);
        LoraReference.Randomize(dense, 30);
        dense.Trainable = false;
        GradientChecker.CheckLayer(dense, TestData.Normal(31, 1f, 6, 5), seed: 32).AssertPassed(maxKinkFraction: 0);
        Assert.All(dense.LoraKernelA!.Gradient.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Embedding_gradients_of_A_and_B_follow_the_chain_rule_through_the_merged_table_with_repeated_ids()
    {
        // Keras: T = E + s·A·B, out[i] = T[id_i]. So dT[v] = Σ_{i: id_i = v} dOut[i], dA = s · dT·Bᵀ, dB = s · Aᵀ·dT.
        const int Vocab = 11, Dim = 5, Rank = 3;
        const float Alpha = 4.5f;
        Embedding layer = BuiltEmbedding(Vocab, Dim, 6, seed: 8);
        layer.EnableLora(Rank, Alpha);
        LoraReference.Randomize(layer, 40);
        Tensor ids = Tensor.FromArray([7f, 7, 2, 7, 0, 2, 10, 3, 3, 7, 2, 5], 2, 6);
        layer.Forward(ids, training: true);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(2, 6, Dim), 41);
        layer.Backward(upstream);

        double s = (double)Alpha / Rank;
        float[] a = layer.LoraEmbeddingsA!.Value.ToArray(), b = layer.LoraEmbeddingsB!.Value.ToArray(), g = upstream.ToArray(), idArray = ids.ToArray();
        var dT = new double[Vocab * Dim];
        for (int i = 0; i < idArray.Length; i++)
        {
            for (int j = 0; j < Dim; j++)
            {
                dT[((int)idArray[i] * Dim) + j] += g[(i * Dim) + j];
            }
        }

        float[] da = layer.LoraEmbeddingsA.Gradient.ToArray(), db = layer.LoraEmbeddingsB.Gradient.ToArray();
        for (int k = 0; k < Rank; k++)
        {
            for (int v = 0; v < Vocab; v++)
            {
                double expected = 0;
                for (int j = 0; j < Dim; j++)
                {
                    expected += dT[(v * Dim) + j] * b[(k * Dim) + j];
                }

                Assert.Equal(s * expected, da[(v * Rank) + k], 1e-5);
            }

            for (int j = 0; j < Dim; j++)
            {
                double expected = 0;
                for (int v = 0; v < Vocab; v++)
                {
                    expected += a[(v * Rank) + k] * dT[(v * Dim) + j];
                }

                Assert.Equal(s * expected, db[(k * Dim) + j], 1e-5);
            }
        }

        // Id 7 appears four times: its A row carries all four; ids 1, 4, 6, 8 and 9 are not in the batch and get nothing.
        Assert.Contains(da[(7 * Rank)..(8 * Rank)], v => v != 0f);
        Assert.All(new[] { 1, 4, 6, 8, 9 }, row => Assert.All(da[(row * Rank)..((row + 1) * Rank)], v => Assert.Equal(0f, v)));
        GradientChecker.CheckLayer(layer, ids, seed: 42).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Embedding_LoRA_pass_over_a_large_table_allocates_a_small_fraction_of_one_table()
    {
        // (100000 x 64) floats, 25.6 MB: merging E + s·A·B each pass would allocate (and write) that much at least.
        const int Vocab = 100_000, Dim = 64, Rank = 4;
        Embedding layer = BuiltEmbedding(Vocab, Dim, 10, seed: 9);
        layer.EnableLora(Rank, 8f);
        LoraReference.Randomize(layer, 50);
        float[] idValues = [5f, 99_999, 12_345, 5, 0, 77_777, 31, 5, 64_000, 2];
        Tensor ids = Tensor.FromArray(idValues, 1, 10);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(1, 10, Dim), 51);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Tensor output = layer.Forward(ids, training: true);
        layer.Backward(upstream);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        long table = (long)Vocab * Dim * sizeof(float);
        Assert.True(allocated < table / 100, $"The first LoRA pass allocated {allocated:N0} bytes; one table is {table:N0}.");

        // The rows are Keras' merged rows: E[id] + s · A[id]·B, in double here.
        float[] e = layer.Embeddings.Value.ToArray(), a = layer.LoraEmbeddingsA!.Value.ToArray(), b = layer.LoraEmbeddingsB!.Value.ToArray(), y = output.ToArray();
        double s = 8.0 / Rank;
        for (int i = 0; i < idValues.Length; i++)
        {
            int id = (int)idValues[i];
            for (int j = 0; j < Dim; j++)
            {
                double delta = 0;
                for (int k = 0; k < Rank; k++)
                {
                    delta += (double)a[(id * Rank) + k] * b[(k * Dim) + j];
                }

                Assert.Equal(e[(id * Dim) + j] + (s * delta), y[(i * Dim) + j], 1e-5);
            }
        }
    }

    [Fact]
    public void Embedding_LoRA_training_steps_allocate_nothing_after_the_first_batch_and_are_reproducible()
    {
        (Sequential Model, Tensor X, Tensor Y) Adapted()
        {
            var model = new Sequential([new InputLayer(6), new Embedding(40, 8, name: "tokens"), new Flatten(), new Dense(3, name: "head")], seed: 2);
            model.Compile(new Adam(0.01f), new MeanSquaredError());
            ((Embedding)model.GetLayer("tokens")).EnableLora(2, 4f);
            ((Dense)model.GetLayer("head")).EnableLora(2);
            Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 96).Select(i => (float)(i * 13 % 40))], 16, 6);
            return (model, x, Tensor.RandomNormal(new TensorShape(16, 3), 3));
        }

        (Sequential model, Tensor bx, Tensor by) = Adapted();
        for (int i = 0; i < 3; i++)
        {
            model.TrainStep(bx, by);
        }

        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                model.TrainStep(bx, by);
            }
        });

        (Sequential again, _, _) = Adapted();
        for (int i = 0; i < 6; i++)
        {
            again.TrainStep(bx, by);
        }

        Assert.Equal(model.Parameters.Select(p => LoraReference.Bits(p.Value)), again.Parameters.Select(p => LoraReference.Bits(p.Value)));
    }

    [Fact]
    public void Predict_over_several_batches_matches_the_merged_kernels_and_sees_A_and_B_change_between_predictions()
    {
        // EinsumDense merges once per prediction, reused by its later batches; Dense never merges. Neither may keep a stale
        // merge into the next prediction.
        static Functional Build(out EinsumDense heads, out Dense head)
        {
            var input = new Input(4, 5);
            heads = new EinsumDense("abc,cde->abde", [null, 2, 3], ActivationFunction.Tanh, "de", name: "heads");
            head = new Dense(3, ActivationFunction.Relu, name: "head");
            return new Functional(input, head.Call(new Flatten().Call(heads.Call(input))), seed: 12);
        }

        Functional model = Build(out EinsumDense heads, out Dense head);
        heads.EnableLora(2, 3f);
        head.EnableLora(3, 6f);
        Functional plain = Build(out EinsumDense plainHeads, out Dense plainHead);
        Tensor x = TestData.Normal(13, 1f, 10, 4, 5);
        foreach (long seed in new long[] { 60, 70 })
        {
            LoraReference.Randomize(heads, seed);
            LoraReference.Randomize(head, seed + 5);
            heads.GetMergedWeight().CopyTo(plainHeads.Kernel.Value);
            heads.Bias!.Value.CopyTo(plainHeads.Bias!.Value);
            head.GetMergedWeight().CopyTo(plainHead.Kernel.Value);
            head.Bias!.Value.CopyTo(plainHead.Bias!.Value);
            LoraReference.AssertClose(plain.Predict(x, batchSize: 3).AsReadOnlySpan(), model.Predict(x, batchSize: 3).AsReadOnlySpan());
        }
    }
}
