using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.Models;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Layers.Lora;

// When LoRA is enabled: from a callback during Fit, on a layer only called symbolically so far, and what that does to
// the parameter lists of the models that hold the layer and of those that do not.
public class LoraLifecycleTests
{
    private sealed class EnableLoraAtBatch(Dense layer, int batch) : Callback
    {
        public override void OnBatchEnd(int b, IReadOnlyDictionary<string, double> logs)
        {
            if (b == batch && !layer.LoraEnabled)
            {
                layer.EnableLora(2, 4f);
            }
        }
    }

    private static (Sequential Model, Dense Hidden) Model(long seed)
    {
        var hidden = new Dense(8, ActivationFunction.Relu, name: "hidden");
        var model = new Sequential([new InputLayer(10), hidden, new Dense(4, ActivationFunction.Softmax, name: "head")], seed: seed);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        return (model, hidden);
    }

    [Fact]
    public void EnableLora_from_a_callback_during_Fit_trains_A_and_B_from_the_next_step()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(64, 10, 4, seed: 3);
        (Sequential model, Dense hidden) = Model(5);
        int[] kernel = [];
        var capture = new LambdaKernelCapture(() => kernel = LoraReference.Bits(hidden.Kernel.Value));

        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, shuffle: false, callbacks: [new EnableLoraAtBatch(hidden, 0), capture]);

        // Three steps ran after the first batch enabled LoRA: B left zeros, the kernel kept the bits it had then.
        Assert.True(hidden.LoraEnabled);
        Assert.Contains(hidden.LoraKernelB!.Value.ToArray(), v => v != 0f);
        Assert.Equal(kernel, LoraReference.Bits(hidden.Kernel.Value));
        Assert.Equal(4, model.Optimizer!.Iterations);
    }

    // Records the kernel right after the callback before it enabled LoRA (batch 0 only).
    private sealed class LambdaKernelCapture(Action capture) : Callback
    {
        public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (batch == 0)
            {
                capture();
            }
        }
    }

    [Fact]
    public void EnableLora_leaves_a_held_Parameters_list_and_other_models_lists_unchanged()
    {
        (Sequential model, Dense hidden) = Model(5);
        (Sequential other, _) = Model(6);
        IReadOnlyList<Parameter> held = model.Parameters;
        IReadOnlyList<Parameter> otherHeld = other.Parameters;
        int count = held.Count;

        hidden.EnableLora(2);

        // The model's list is a new one; the list read before (which a running trainer may be stepping) is as it was.
        Assert.Equal(count + 2, model.Parameters.Count);
        Assert.Equal(count, held.Count);
        Assert.Contains(hidden.LoraKernelA!, model.Parameters);
        Assert.Same(model.Parameters, model.Parameters);
        Assert.Same(otherHeld, other.Parameters);
    }

    [Fact]
    public void EnableLora_after_a_symbolic_call_draws_the_kernel_from_the_models_seed()
    {
        // The twin never had LoRA: its kernel is what the model's seed gives the layer.
        static (Functional Model, Dense Layer) Make(bool lora)
        {
            var input = new Input(6);
            var dense = new Dense(5, name: "d");
            SymbolicTensor output = dense.Call(input);
            if (lora)
            {
                dense.EnableLora(2);
            }

            return (new Functional(input, output, seed: 11), dense);
        }

        (_, Dense adapted) = Make(lora: true);
        (_, Dense twin) = Make(lora: false);

        Assert.Equal(LoraReference.Bits(twin.Kernel.Value), LoraReference.Bits(adapted.Kernel.Value));
        Assert.Contains(adapted.LoraKernelA!.Value.ToArray(), v => v != 0f);
    }

    [Fact]
    public void A_wrapper_refuses_a_layer_with_lora_rank()
    {
        var td = Assert.Throws<ArgumentException>(() => new TimeDistributed(new Dense(3, name: "d") { LoraRank = 2 }));
        var sn = Assert.Throws<ArgumentException>(() => new SpectralNormalization(new Dense(3, name: "d") { LoraRank = 2 }));

        Assert.Contains("TimeDistributed cannot wrap Dense 'd'", td.Message, StringComparison.Ordinal);
        Assert.Contains("lora_rank=2", td.Message, StringComparison.Ordinal);
        Assert.Contains("SpectralNormalization cannot wrap Dense 'd'", sn.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("time_distributed")]
    [InlineData("spectral_normalization")]
    public void EnableLora_on_a_wrapped_layer_throws_naming_the_wrapper_and_changes_nothing(string kind)
    {
        var input = new Input(4, 6);
        Layer wrapper = kind == "time_distributed" ? new TimeDistributed(new Dense(3, name: "d"), name: "wrap") : new SpectralNormalization(new Dense(3, name: "d"), name: "wrap");
        var model = new Functional(input, wrapper.Call(input), seed: 2);
        var inner = (Dense)(wrapper is TimeDistributed t ? t.InnerLayer : ((SpectralNormalization)wrapper).InnerLayer);
        int count = model.Parameters.Count;

        var e = Assert.Throws<InvalidOperationException>(() => inner.EnableLora(2));

        Assert.Contains($"Dense 'd' runs inside {(kind == "time_distributed" ? "TimeDistributed" : "SpectralNormalization")} 'wrap'", e.Message, StringComparison.Ordinal);
        Assert.False(inner.LoraEnabled);
        Assert.True(inner.Kernel.Trainable);
        Assert.Equal(count, model.Parameters.Count);
    }
}
