using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.Models;
using Xunit;

namespace NeuralNet.Tests.Layers.Lora;

// Fine-tuning with LoRA inside models: what Fit changes, allocation, saving (Keras' save_own_variables writes the merged
// kernel; load_own_variables sets A and B to zeros) and layers shared by several calls.
public class LoraModelTests
{
    private static (Sequential Model, Tensor X, Tensor Y) Pretrained()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(64, 10, 4, seed: 3);
        var model = new Sequential([
            new InputLayer(10),
            new Dense(16, ActivationFunction.Relu, name: "hidden"),
            new Dense(4, ActivationFunction.Softmax, name: "head"),
        ], seed: 5);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
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

    [Fact]
    public void Save_writes_the_merged_kernel_and_Load_enables_LoRA_with_A_and_B_at_zeros()
    {
        (Sequential model, Tensor x, Tensor y) = Pretrained();
        var hidden = (Dense)model.GetLayer("hidden");
        hidden.EnableLora(3, 6f);
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        Tensor merged = hidden.GetMergedWeight();
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-lora-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            SafeTensorsNames(path, out IReadOnlyCollection<string> names);
            Assert.Contains("hidden/kernel", names);
            Assert.DoesNotContain("hidden/lora_kernel_a", names);

            Model loaded = Model.Load(path);
            var loadedHidden = (Dense)loaded.GetLayer("hidden");
            Assert.True(loadedHidden.LoraEnabled);
            Assert.Equal(3, loadedHidden.LoraRank);
            Assert.Equal(6f, loadedHidden.LoraAlpha);
            Assert.Equal(LoraReference.Bits(merged), LoraReference.Bits(loadedHidden.Kernel.Value));
            Assert.All(loadedHidden.LoraKernelA!.Value.ToArray(), v => Assert.Equal(0f, v));
            Assert.All(loadedHidden.LoraKernelB!.Value.ToArray(), v => Assert.Equal(0f, v));
            Assert.False(loadedHidden.Kernel.Trainable);

            // The merged kernel plus 0 · A·B is the kernel the original computed with: the same predictions, bit for bit.
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());

            // LoadWeights into the original: its kernel becomes the merged one, A and B zeros, as Keras' load_own_variables.
            string weights = Path.ChangeExtension(path, ".weights.safetensors");
            model.SaveWeights(weights);
            model.LoadWeights(weights);
            File.Delete(weights);
            Assert.Equal(LoraReference.Bits(merged), LoraReference.Bits(hidden.Kernel.Value));
            Assert.All(hidden.LoraKernelB!.Value.ToArray(), v => Assert.Equal(0f, v));
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
        Assert.Equal(plainModel.Predict(x).ToArray(), model.Predict(x).ToArray());

        // Both calls' gradients reach A and B.
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        int[] b = LoraReference.Bits(shared.LoraKernelB!.Value);
        model.TrainOnBatch(x, Tensor.RandomNormal(new TensorShape(5, 2), 14));
        Assert.NotEqual(b, LoraReference.Bits(shared.LoraKernelB.Value));
    }

    private static void SafeTensorsNames(string path, out IReadOnlyCollection<string> names) =>
        names = [.. NeuralNet.Serialization.SafeTensors.Load(path).Names];
}
