using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Models;
using Xunit;

namespace NeuralNet.Tests.Layers.Lora;

// Fine-tuning with LoRA inside models: what Fit changes, allocation, saving (NeuralNet's own files keep the raw kernel, A
// and B; the Keras formats' merged kernel is tested in NeuralNet.Keras.Tests) and layers shared by several calls.
public class LoraModelTests
{
    private static (Sequential Model, Tensor X, Tensor Y) Pretrained(Optimizer? optimizer = null)
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(64, 10, 4, seed: 3);
        var model = new Sequential([
            new InputLayer(10),
            new Dense(16, ActivationFunction.Relu, name: "hidden"),
            new Dense(4, ActivationFunction.Softmax, name: "head"),
        ], seed: 5);
        model.Compile(optimizer ?? new Adam(0.01f), new CategoricalCrossEntropy());
        model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
        return (model, x, y);
    }

    [Fact]
    public void Fit_after_EnableLora_trains_A_B_and_the_bias_and_leaves_the_kernel_bits_alone()
    {
        (Sequential model, Tensor x, Tensor y) = Pretrained();
        var hidden = (Dense)model.GetLayer("hidden");
        int before = model.Parameters.Count;
        hidden.EnableLora(4, 8f);

        // The model's parameters include A and B at once; no Compile needed.
        Assert.Equal(before + 2, model.Parameters.Count);
        Assert.Contains(hidden.LoraKernelA!, model.Parameters);
        int[] kernel = LoraReference.Bits(hidden.Kernel.Value);
        int[] bias = LoraReference.Bits(hidden.Bias!.Value);
        int[] a = LoraReference.Bits(hidden.LoraKernelA!.Value);

        History history = model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0);

        Assert.Equal(kernel, LoraReference.Bits(hidden.Kernel.Value));
        Assert.NotEqual(bias, LoraReference.Bits(hidden.Bias.Value));
        Assert.NotEqual(a, LoraReference.Bits(hidden.LoraKernelA.Value));
        Assert.Contains(hidden.LoraKernelB!.Value.ToArray(), v => v != 0f);
        Assert.True(history["loss"][^1] < history["loss"][0]);
    }

    [Fact]
    public void Training_steps_with_LoRA_allocate_nothing_after_the_first_batch()
    {
        (Sequential model, Tensor x, Tensor y) = Pretrained();
        ((Dense)model.GetLayer("hidden")).EnableLora(2);
        ((Dense)model.GetLayer("head")).EnableLora(2);
        Tensor bx = x.FirstRows(16), by = y.FirstRows(16);
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
    }

    [Fact]
    public void Training_with_LoRA_is_reproducible_bit_for_bit()
    {
        int[][] Run()
        {
            (Sequential model, Tensor x, Tensor y) = Pretrained();
            ((Dense)model.GetLayer("hidden")).EnableLora(3);
            model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
            return [.. model.Parameters.Select(p => LoraReference.Bits(p.Value))];
        }

        Assert.Equal(Run(), Run());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Save_keeps_the_raw_kernel_A_and_B_so_Load_resumes_training_bit_for_bit(bool useEma)
    {
        // With the EMA, a merged kernel saved next to the EMA of A and B would count the LoRA delta twice once swapped in.
        Adam NewAdam() => new(0.01f) { UseEma = useEma, EmaOverwriteFrequency = useEma ? 3 : null };
        (Sequential Model, Tensor X, Tensor Y) Adapted()
        {
            (Sequential model, Tensor x, Tensor y) = Pretrained(NewAdam());
            ((Dense)model.GetLayer("hidden")).EnableLora(3, 6f);
            model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
            return (model, x, y);
        }

        (Sequential uninterrupted, Tensor x, Tensor y) = Adapted();
        uninterrupted.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);

        (Sequential first, _, _) = Adapted();
        var hidden = (Dense)first.GetLayer("hidden");
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-lora-{Guid.NewGuid():N}.safetensors");
        try
        {
            first.Save(path);
            SafeTensorsNames(path, out IReadOnlyCollection<string> names);
            Assert.Contains("hidden/lora_kernel_a", names);
            Assert.Contains("hidden/lora_kernel_b", names);

            Sequential loaded = Sequential.Load(path);
            var loadedHidden = (Dense)loaded.GetLayer("hidden");
            Assert.True(loadedHidden.LoraEnabled);
            Assert.Equal(3, loadedHidden.LoraRank);
            Assert.Equal(6f, loadedHidden.LoraAlpha);
            Assert.False(loadedHidden.Kernel.Trainable);
            Assert.Equal(LoraReference.Bits(hidden.Kernel.Value), LoraReference.Bits(loadedHidden.Kernel.Value));
            Assert.Equal(LoraReference.Bits(hidden.LoraKernelA!.Value), LoraReference.Bits(loadedHidden.LoraKernelA!.Value));
            Assert.Equal(LoraReference.Bits(hidden.LoraKernelB!.Value), LoraReference.Bits(loadedHidden.LoraKernelB!.Value));

            loaded.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
            NeuralNet.Tests.Serialization.ModelTestData.AssertSameWeights(uninterrupted, loaded);

            // SaveWeights / LoadWeights: the same raw values come back.
            string weights = Path.ChangeExtension(path, ".weights.safetensors");
            first.SaveWeights(weights);
            int[] a = LoraReference.Bits(hidden.LoraKernelA.Value);
            hidden.LoraKernelA.Value.AsSpan().Fill(7f);
            first.LoadWeights(weights);
            File.Delete(weights);
            Assert.Equal(a, LoraReference.Bits(hidden.LoraKernelA.Value));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_layer_shared_by_two_calls_adapts_both_even_when_enabled_after_the_model_was_built()
    {
        var input = new Input(6);
        var shared = new Dense(6, ActivationFunction.Tanh, name: "shared");
        SymbolicTensor h = shared.Call(shared.Call(input));
        var model = new Functional(input, new Dense(2, name: "out").Call(h), seed: 9);
        shared.EnableLora(2, 4f);
        LoraReference.Randomize(shared, 12);
        Tensor x = Tensor.RandomNormal(new TensorShape(5, 6), 13);

        // The same model with a plain Dense holding the merged kernel.
        var plainInput = new Input(6);
        var plain = new Dense(6, ActivationFunction.Tanh, name: "shared");
        var plainModel = new Functional(plainInput, new Dense(2, name: "out").Call(plain.Call(plain.Call(plainInput))), seed: 9);
        shared.GetMergedWeight().CopyTo(plain.Kernel.Value);
        shared.Bias!.Value.CopyTo(plain.Bias!.Value);
        ((Dense)model.GetLayer("out")).Kernel.Value.CopyTo(((Dense)plainModel.GetLayer("out")).Kernel.Value);
        LoraReference.AssertClose(plainModel.Predict(x).AsReadOnlySpan(), model.Predict(x).AsReadOnlySpan());

        // Both calls' gradients reach A and B.
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        int[] b = LoraReference.Bits(shared.LoraKernelB!.Value);
        model.TrainOnBatch(x, Tensor.RandomNormal(new TensorShape(5, 2), 14));
        Assert.NotEqual(b, LoraReference.Bits(shared.LoraKernelB.Value));
    }

    [Fact]
    public void A_LoRA_Dense_called_twice_gets_A_and_B_gradients_of_both_calls_matching_central_differences()
    {
        // dA and dB are the sums over the two calls (the layer's copies share A and B): central differences of the whole
        // model's objective see both calls, so one call's missing share fails.
        var input = new Input(5);
        var shared = new Dense(5, ActivationFunction.Tanh, name: "shared");
        var model = new Functional(input, new Dense(2, name: "out").Call(shared.Call(shared.Call(input))), seed: 21);
        shared.EnableLora(2, 3f);
        LoraReference.Randomize(shared, 22);

        ModelGradientChecker.Check(model, [TestData.Normal(23, 1f, 4, 5)], seed: 24).AssertPassed(maxKinkFraction: 0);
        Assert.Contains(shared.LoraKernelA!.Gradient.ToArray(), g => g != 0f);
    }

    [Fact]
    public void A_LoRA_Embedding_called_on_two_inputs_gets_A_and_B_gradients_of_both_calls_matching_central_differences()
    {
        // The two calls share ids 3 and 7, whose A rows sum both calls' shares; the others get one call's.
        var first = new Input(4);
        var second = new Input(4);
        var shared = new Embedding(10, 3, name: "tokens");
        SymbolicTensor joined = new Concatenate().Call(shared.Call(first), shared.Call(second));
        var model = new Functional([first, second], new Dense(2, ActivationFunction.Tanh, name: "out").Call(new Flatten().Call(joined)), seed: 25);
        shared.EnableLora(2, 5f);
        LoraReference.Randomize(shared, 26);
        Tensor a = Tensor.FromArray([3f, 7, 1, 3, 0, 9, 7, 2], 2, 4), b = Tensor.FromArray([7f, 5, 3, 8, 4, 7, 6, 3], 2, 4);

        ModelGradientChecker.Check(model, [a, b], seed: 27).AssertPassed(maxKinkFraction: 0);
        Assert.Contains(shared.LoraEmbeddingsA!.Gradient.ToArray(), g => g != 0f);
    }

    private static void SafeTensorsNames(string path, out IReadOnlyCollection<string> names) =>
        names = [.. NeuralNet.Serialization.SafeTensors.Load(path).Names];
}
