using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Lora;

// Requests made in the wrong order: Keras' enable_lora (keras/src/layers/core/dense.py, einsum_dense.py, embedding.py)
// checks the constraint, then the build, then whether LoRA is on; a backward pass must follow a forward pass that ran with
// LoRA. Each is refused naming the layer, before anything changes.
public class LoraOrderOfChecksTests
{
    public static TheoryData<string> Layers => ["dense", "einsum", "embedding"];

    private static Layer Create(string kind, bool constrained) => kind switch
    {
        "dense" => new Dense(3, ActivationFunction.Tanh, name: "c") { KernelConstraint = constrained ? new MaxNorm(2f) : null, Seed = 1 },
        "einsum" => new EinsumDense("ab,bc->ac", 3, ActivationFunction.Tanh, "c", name: "c") { KernelConstraint = constrained ? new MaxNorm(2f) : null, Seed = 1 },
        _ => new Embedding(9, 3, name: "c") { EmbeddingsConstraint = constrained ? new NonNeg() : null, Seed = 1 },
    };

    private static Tensor Input(string kind) => kind == "embedding" ? Tensor.FromArray([1f, 8, 0, 4, 4, 2, 7, 3], 2, 4) : TestData.Normal(3, 1f, 2, 4);

    private static Layer Built(string kind, bool constrained)
    {
        Layer layer = Create(kind, constrained);
        layer.Build(new TensorShape(4));
        layer.InitializeParameters();
        return layer;
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void EnableLora_on_an_unbuilt_layer_with_a_constraint_names_the_constraint_first_as_Keras(string kind)
    {
        // Keras raises "Lora is incompatible with kernel constraints" before "Cannot enable lora on a layer that isn't yet built".
        var unbuilt = (ILoraLayer)Create(kind, constrained: true);
        var error = Assert.Throws<InvalidOperationException>(() => unbuilt.EnableLora(2));
        Assert.Contains("'c': LoRA is incompatible with a constraint on the", error.Message, StringComparison.Ordinal);
        Assert.False(unbuilt.LoraEnabled);

        // Without the constraint the same layer is refused for not being built; built with it, for the constraint.
        var plain = (ILoraLayer)Create(kind, constrained: false);
        Assert.Contains("'c' is not built", Assert.Throws<InvalidOperationException>(() => plain.EnableLora(2)).Message, StringComparison.Ordinal);
        var built = (ILoraLayer)Built(kind, constrained: true);
        Assert.Contains("incompatible with a constraint", Assert.Throws<InvalidOperationException>(() => built.EnableLora(2)).Message, StringComparison.Ordinal);
        Assert.Single(((Layer)built).Parameters, p => p.Trainable && p.Constraint is not null);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Backward_after_LoRA_was_enabled_since_the_forward_pass_is_refused_naming_the_layer(string kind)
    {
        Layer layer = Built(kind, constrained: false);
        Tensor output = layer.Forward(Input(kind), training: true);
        ((ILoraLayer)layer).EnableLora(2);
        Tensor gradient = Tensor.RandomNormal(output.Shape, 4);

        var error = Assert.Throws<InvalidOperationException>(() => layer.Backward(gradient));
        Assert.Contains("'c' got an output gradient", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not follow a forward pass with LoRA", error.Message, StringComparison.Ordinal);
        Assert.All(layer.Parameters, p => Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g)));

        // A forward pass with LoRA makes the backward pass valid again.
        layer.Forward(Input(kind), training: true);
        layer.Backward(gradient);
        Assert.Contains(((ILoraLayer)layer).LoraB!.Gradient.ToArray(), g => g != 0f);
    }
}
