using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Lora;

// Keras' EinsumDense.enable_lora (keras/src/layers/core/einsum_dense.py): A kernel.shape[:-1] + (rank,), B (rank,
// kernel.shape[-1]); Embedding.enable_lora (embedding.py): A (input_dim, rank), B (rank, output_dim); both he_uniform for A,
// zeros for B, the merged weight weight + (lora_alpha / lora_rank) · A @ B.
public class EinsumEmbeddingLoraTests
{
    private static EinsumDense BuiltEinsum(long seed = 2)
    {
        var layer = new EinsumDense("abc,cde->abde", [null, 2, 3], ActivationFunction.Tanh, "de", name: "heads") { Seed = seed };
        layer.Build(new TensorShape(4, 5));
        layer.InitializeParameters();
        return layer;
    }

    [Fact]
    public void EinsumDense_LoRA_weights_have_Keras_shapes_and_the_forward_pass_uses_the_merged_kernel()
    {
        EinsumDense layer = BuiltEinsum();
        layer.EnableLora(2, 3f);
        Assert.Equal(new TensorShape(5, 2, 2), layer.LoraKernelA!.Shape);
        Assert.Equal(new TensorShape(2, 3), layer.LoraKernelB!.Shape);
        Assert.False(layer.Kernel.Trainable);
        LoraReference.Randomize(layer, 5);

        double[] merged = LoraReference.Merged(layer);
        Tensor mergedKernel = layer.GetMergedWeight();
        for (int i = 0; i < merged.Length; i++)
        {
            Assert.Equal(merged[i], mergedKernel.AsReadOnlySpan()[i], 1e-5);
        }

        EinsumDense plain = BuiltEinsum();
        mergedKernel.CopyTo(plain.Kernel.Value);
        layer.Bias!.Value.CopyTo(plain.Bias!.Value);
        Tensor x = TestData.Normal(7, 1f, 3, 4, 5);
        Assert.Equal(plain.Forward(x, training: true).ToArray(), layer.Forward(x, training: true).ToArray());
    }

    [Fact]
    public void EinsumDense_gradients_of_A_B_and_input_match_central_differences()
    {
        EinsumDense layer = BuiltEinsum(3);
        layer.EnableLora(2, 5f);
        LoraReference.Randomize(layer, 8);
        GradientChecker.CheckLayer(layer, TestData.Normal(9, 1f, 2, 4, 5), seed: 10).AssertPassed(maxKinkFraction: 0);
        Assert.Contains(layer.LoraKernelA!.Gradient.ToArray(), g => g != 0f);
        Assert.Contains(layer.LoraKernelB!.Gradient.ToArray(), g => g != 0f);
    }

    [Fact]
    public void EinsumDense_configs_with_lora_rank_now_load_and_keep_it()
    {
        const string Json = """{"class_name": "EinsumDense", "config": {"name": "e", "equation": "ab,bc->ac", "output_shape": [3], "lora_rank": 2, "lora_alpha": 4}}""";
        var layer = (EinsumDense)SerializationRegistry.Deserialize<Layer>(JsonNode.Parse(Json)!, new Config(), "layer");
        Assert.Equal(2, layer.LoraRank);
        Assert.Equal(4f, layer.LoraAlpha);
        layer.Build(new TensorShape(5));
        Assert.True(layer.LoraEnabled);
        Assert.Contains("\"lora_rank\":2,\"lora_alpha\":4", layer.GetConfig().ToJson(), StringComparison.Ordinal);
    }

    private static Embedding BuiltEmbedding(long seed = 4)
    {
        var layer = new Embedding(9, 4, name: "tokens") { Seed = seed, ComputesInputGradient = false };
        layer.Build(new TensorShape(5));
        layer.InitializeParameters();
        return layer;
    }

    private static Tensor Ids() => Tensor.FromArray([0f, 3, 3, 8, 1, 5, 2, 0, 7, 3], 2, 5);

    [Fact]
    public void Embedding_gathers_rows_of_the_merged_embeddings()
    {
        Embedding layer = BuiltEmbedding();
        layer.EnableLora(3, 6f);
        Assert.Equal(["embeddings", "lora_embeddings_a", "lora_embeddings_b"], layer.Parameters.Select(p => p.Name));
        Assert.Equal(new TensorShape(9, 3), layer.LoraEmbeddingsA!.Shape);
        Assert.Equal(new TensorShape(3, 4), layer.LoraEmbeddingsB!.Shape);
        LoraReference.Randomize(layer, 6);
        double[] merged = LoraReference.Merged(layer);
        float[] y = layer.Forward(Ids(), training: true).ToArray();
        float[] ids = Ids().ToArray();
        for (int t = 0; t < ids.Length; t++)
        {
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(merged[(int)ids[t] * 4 + j], y[t * 4 + j], 1e-5);
            }
        }
    }

    [Fact]
    public void Embedding_gradients_of_A_and_B_match_central_differences()
    {
        Embedding layer = BuiltEmbedding(5);
        layer.EnableLora(2, 3f);
        LoraReference.Randomize(layer, 7);
        GradientChecker.CheckLayer(layer, Ids(), seed: 11).AssertPassed(maxKinkFraction: 0);
        Assert.Contains(layer.LoraEmbeddingsA!.Gradient.ToArray(), g => g != 0f);

        // Rows of ids not in the batch (4 and 6) get no gradient in A, as the gathered table's gradient is zero there.
        float[] da = layer.LoraEmbeddingsA.Gradient.ToArray();
        Assert.All(new[] { 4, 6 }, row => Assert.Equal([0f, 0f], da[(row * 2)..(row * 2 + 2)]));
    }

    [Fact]
    public void Embedding_refuses_a_constraint_and_keeps_lora_rank_in_its_config()
    {
        var constrained = new Embedding(9, 4, name: "c") { EmbeddingsConstraint = new NeuralNet.Constraints.NonNeg(), Seed = 1 };
        constrained.Build(new TensorShape(5));
        Assert.Contains("Embedding 'c': LoRA is incompatible with a constraint on the embeddings", Assert.Throws<InvalidOperationException>(() => constrained.EnableLora(2)).Message, StringComparison.Ordinal);

        Embedding layer = BuiltEmbedding();
        layer.EnableLora(2);
        Assert.Contains("\"lora_rank\":2,\"lora_alpha\":2", layer.GetConfig().ToJson(), StringComparison.Ordinal);
    }
}
