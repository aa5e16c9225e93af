using FsCheck;
using FsCheck.Fluent;
using NeuralNet.Activations;
using NeuralNet.Regularizers;

namespace NeuralNet.Tests.Layers;

/// <summary>A random Dense configuration for properties.</summary>
public sealed record DenseCase(int Batch, int Inputs, int Units, int ActivationIndex, bool UseBias, int RegularizerIndex, long Seed)
{
    /// <summary>Every activation the library has, indexed by <see cref="ActivationIndex"/>.</summary>
    public static ActivationFunction[] Activations { get; } =
    [
        ActivationFunction.Linear, ActivationFunction.Relu, ActivationFunction.Sigmoid, ActivationFunction.Tanh,
        ActivationFunction.Softmax, new LeakyRelu(0.1f), new Elu(0.7f), new Gelu(), new Gelu(approximate: true),
    ];

    /// <summary>No penalty, L1, L2, L1L2, indexed by <see cref="RegularizerIndex"/>.</summary>
    public static Regularizer?[] Regularizers { get; } = [null, new L1(0.01), new L2(0.05), new L1L2(0.01, 0.02)];

    /// <summary>The activation of this case.</summary>
    public ActivationFunction Activation => Activations[ActivationIndex];

    /// <summary>The regularizer of this case.</summary>
    public Regularizer? Regularizer => Regularizers[RegularizerIndex];

    /// <inheritdoc/>
    public override string ToString() => $"Dense({Units}, {Activation}, useBias {UseBias}, {Regularizer?.Name ?? "no penalty"}) on ({Batch}, {Inputs}), seed {Seed}";
}

/// <summary>A random per-sample shape with a batch size, for shape-agnostic layers.</summary>
public sealed record ShapeCase(int Batch, int[] SampleShape, long Seed)
{
    /// <inheritdoc/>
    public override string ToString() => $"batch {Batch}, sample {new TensorShape(SampleShape)}, seed {Seed}";
}

/// <summary>FsCheck generators for layer properties.</summary>
public static class LayerCases
{
    /// <summary>Random Dense configurations: batch 1-5, inputs 1-7, units 1-6.</summary>
    public static Arbitrary<DenseCase> DenseCase() =>
        (from batch in Gen.Choose(1, 5)
         from inputs in Gen.Choose(1, 7)
         from units in Gen.Choose(1, 6)
         from activation in Gen.Choose(0, GradientCheckingDenseActivationCount - 1)
         from useBias in Gen.Elements(true, false)
         from regularizer in Gen.Choose(0, 3)
         from seed in Gen.Choose(0, 1_000_000)
         select new DenseCase(batch, inputs, units, activation, useBias, regularizer, seed)).ToArbitrary();

    /// <summary>Random sample shapes of rank 1-3 with dimensions 1-5, batch 1-4.</summary>
    public static Arbitrary<ShapeCase> ShapeCase() =>
        (from batch in Gen.Choose(1, 4)
         from rank in Gen.Choose(1, 3)
         from dims in Gen.ArrayOf(Gen.Choose(1, 5), rank)
         from seed in Gen.Choose(0, 1_000_000)
         select new ShapeCase(batch, dims, seed)).ToArbitrary();

    private static int GradientCheckingDenseActivationCount => Tests.Layers.DenseCase.Activations.Length;
}
