using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras' optimizer variables of a LoRA layer: enable_lora (keras/src/layers/core/dense.py) creates lora_kernel_a and
// lora_kernel_b after kernel and bias and makes the kernel non-trainable, so model.trainable_variables holds the layer's
// bias, lora_kernel_a, lora_kernel_b in that order, and the optimizer has a slot pair for each.
public sealed partial class KerasOptimizerStateTests
{
    [H5pyFact]
    public void SaveModel_LoraModel_WritesAdamSlotsOfBiasAAndBAndLoadModelReadsThemBack()
    {
        var model = new Sequential([new InputLayer(4), new Dense(5, name: "dense"), new Dense(2, name: "head")], seed: 8);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        ((Dense)model.GetLayer("dense")).EnableLora(2, 4f);
        Tensor x = Tensor.RandomNormal(new TensorShape(6, 4), 1), y = Tensor.RandomNormal(new TensorShape(6, 2), 2);
        for (int step = 0; step < 3; step++)
        {
            model.TrainOnBatch(x, y);
        }

        string path = Path.Combine(_folder, "lora-adam.keras");
        KerasFormat.SaveModel(model, path);

        var datasets = (JsonObject)H5py.Dump(ExtractWeights(path))["datasets"]!;
        string[] trainable = ["dense/bias", "dense/lora_kernel_a", "dense/lora_kernel_b", "head/kernel", "head/bias"];
        Assert.Equal(2 + (2 * trainable.Length), datasets.Count(d => d.Key.StartsWith("optimizer/vars/", StringComparison.Ordinal)));
        for (int i = 0; i < trainable.Length; i++)
        {
            Parameter parameter = Find(model, trainable[i]);
            IReadOnlyList<Tensor> state = model.Optimizer!.GetState(parameter);
            int[] shape = parameter.Shape.Dimensions.ToArray();
            AssertDataset(datasets[$"optimizer/vars/{2 + (2 * i)}"]!, "float32", shape, state[0].ToArray());
            AssertDataset(datasets[$"optimizer/vars/{3 + (2 * i)}"]!, "float32", shape, state[1].ToArray());
        }

        // Read back: the step count and every slot, A's and B's included (A and B themselves load as zeros, as in Keras).
        Model loaded = KerasFormat.LoadModel(path);
        Assert.Equal(3, loaded.Optimizer!.StepCount);
        foreach (string name in trainable)
        {
            IReadOnlyList<Tensor> expected = model.Optimizer!.GetState(Find(model, name));
            IReadOnlyList<Tensor> actual = loaded.Optimizer.GetState(Find(loaded, name));
            Assert.Equal(expected.Select(t => t.ToArray()), actual.Select(t => t.ToArray()));
        }
    }
}
