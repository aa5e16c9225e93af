using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;
using RecurrentLayer = NeuralNet.Layers.Recurrent;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>Keras' input dropout in the recurrent layers: one mask per sample for every step, training only.</summary>
public class RecurrentDropoutTests
{
    public static TheoryData<int> Kinds => [0, 1, 2];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Training_equals_the_layer_without_dropout_on_the_masked_input(int kind)
    {
        RecurrentLayer dropping = Make(kind, 0.4, seed: 7);
        RecurrentLayer plain = Make(kind, 0, seed: 0);
        dropping.Build(new TensorShape(4, 5));
        plain.Build(new TensorShape(4, 5));
        Tensor input = Tensor.RandomNormal(new TensorShape(3, 4, 5), 2);
        plain.Forward(input, training: false);
        dropping.Forward(input, training: false);
        for (int i = 0; i < plain.Parameters.Count; i++)
        {
            dropping.Parameters[i].Value.AsReadOnlySpan().CopyTo(plain.Parameters[i].Value.AsSpan());
        }

        float[] trained = dropping.Forward(input, training: true).ToArray();

        // Recover the mask: a feature is dropped for the whole sequence of its sample, kept ones scaled by 1/(1 - 0.4).
        var masked = Tensor.Zeros(3, 4, 5);
        var random = new SeededRandom(7);
        float[] mask = new float[15];
        random.FillKeepMask(mask, (uint)Math.Round(0.4 * (1 << 24)), (float)(1.0 / 0.6));
        for (int i = 0; i < masked.Length; i++)
        {
            masked.AsSpan()[i] = input.AsReadOnlySpan()[i] * mask[((i / 20) * 5) + (i % 5)];
        }

        Assert.Contains(0f, mask);
        Assert.Equal(plain.Forward(masked, training: false).ToArray(), trained);
        Assert.Equal(plain.Forward(input, training: false).ToArray(), dropping.Forward(input, training: false).ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Backward_with_dropout_matches_numerical_gradients_of_the_same_mask(int kind)
    {
        // A fixed mask: every forward of the check reseeds the generator, so it draws the same mask.
        RecurrentLayer layer = Make(kind, 0.3, seed: 5);
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 3), 6);
        var reseeding = new ReseedingLayer(layer, 5);
        reseeding.Build(new TensorShape(4, 3));
        GradientChecker.CheckLayer(reseeding, input, seed: 9, training: true).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Dropout_saves_loads_and_out_of_range_rates_are_refused()
    {
        var model = new Sequential(seed: 3);
        model.Add(new InputLayer(5, 2));
        model.Add(new Lstm(3) { Dropout = 0.25, DropoutSeed = 11 });
        model.Add(new Dense(1));
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 5, 2), 1), y = Tensor.RandomNormal(new TensorShape(4, 1), 2);
        model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"rnn-dropout-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var lstm = (Lstm)Model.Load(path).Layers.First(l => l is Lstm);
            Assert.Equal(0.25, lstm.Dropout);
            Assert.Equal(11L, lstm.DropoutSeed);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new Gru(2) { Dropout = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimpleRnn(2) { Dropout = -0.1 });
    }

    private static RecurrentLayer Make(int kind, double rate, long seed) => kind switch
    {
        0 => new SimpleRnn(3, returnSequences: true) { Dropout = rate, DropoutSeed = seed },
        1 => new Lstm(3) { Dropout = rate, DropoutSeed = seed },
        _ => new Gru(3, returnSequences: true, goBackwards: true) { Dropout = rate, DropoutSeed = seed },
    };
}

/// <summary>Keras' recurrent_dropout: the previous state dropped before each gate's recurrent product, a mask per sample and gate.</summary>
public class RecurrentStateDropoutTests
{
    private static readonly Func<RecurrentLayer>[] Variants =
    [
        () => new SimpleRnn(3, returnSequences: true) { RecurrentDropout = 0.4, DropoutSeed = 7 },
        () => new Lstm(3) { RecurrentDropout = 0.4, DropoutSeed = 7 },
        () => new Lstm(3, returnSequences: true, goBackwards: true) { RecurrentDropout = 0.3, Dropout = 0.2, DropoutSeed = 5 },
        () => new Gru(3, returnSequences: true) { RecurrentDropout = 0.4, DropoutSeed = 7 },
        () => new Gru(3, resetAfter: false) { RecurrentDropout = 0.4, DropoutSeed = 7 },
        () => new Gru(2, resetAfter: false, returnSequences: true, goBackwards: true) { RecurrentDropout = 0.5, DropoutSeed = 3 },
    ];

    public static TheoryData<int> VariantIndices => [.. Enumerable.Range(0, Variants.Length)];

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void Training_matches_the_float64_reference_with_the_drawn_masks(int variant)
    {
        RecurrentLayer layer = Variants[variant]();
        if (layer.Dropout > 0)
        {
            return; // input dropout is covered by RecurrentDropoutTests; its mask is not exposed to the reference
        }

        layer.Build(new TensorShape(5, 4));
        Tensor input = Tensor.RandomNormal(new TensorShape(3, 5, 4), 21);

        float[] trained = layer.Forward(input, training: true).ToArray();
        Tensor masks = Tensor.FromSpan(layer.RecurrentDropoutMasks!.AsReadOnlySpan()[..(3 * layer.Kernel.Shape[1])], 3, layer.Kernel.Shape[1] / layer.Units, layer.Units);
        float[] expected = RecurrentReference.Forward(layer, input, recurrentMasks: masks);

        Assert.Contains(0f, masks.ToArray());
        Assert.Contains(1f / (1f - (float)layer.RecurrentDropout), masks.ToArray());
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(trained[i] - expected[i]) <= 2e-6 + (1e-5 * Math.Abs(expected[i])), $"{layer}: element {i} is {trained[i]}, the reference gives {expected[i]}.");
        }

        // Inference ignores the rate.
        Assert.Equal(RecurrentReference.Forward(layer, input), layer.Forward(input, training: false).ToArray(), new FloatTolerance(2e-6f, 1e-5f));
    }

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void Backward_matches_numerical_gradients_under_the_same_masks(int variant)
    {
        RecurrentLayer layer = Variants[variant]();
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 3), 6);
        var reseeding = new ReseedingLayer(layer, layer.DropoutSeed!.Value);
        reseeding.Build(new TensorShape(4, 3));
        GradientChecker.CheckLayer(reseeding, input, seed: 9, training: true).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Recurrent_dropout_saves_loads_and_out_of_range_rates_are_refused()
    {
        var model = new Sequential(seed: 3);
        model.Add(new InputLayer(5, 2));
        model.Add(new Gru(3) { RecurrentDropout = 0.25, DropoutSeed = 11 });
        model.Add(new Dense(1));
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 5, 2), 1), y = Tensor.RandomNormal(new TensorShape(4, 1), 2);
        model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0);
        model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"rnn-recurrent-dropout-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var gru = (Gru)Model.Load(path).Layers.First(l => l is Gru);
            Assert.Equal(0.25, gru.RecurrentDropout);
        }
        finally
        {
            File.Delete(path);
        }

        var step = new Sequential(seed: 3);
        step.Add(new InputLayer(5, 2));
        step.Add(new Lstm(3) { RecurrentDropout = 0.25 });
        step.Add(new Dense(1));
        step.Compile(new Adam(), new MeanSquaredError());
        Tensor[] batch = [x, y];
        step.TrainStep(batch);
        step.TrainStep(batch);
        AllocationCheck.AssertNone(() => step.TrainStep(batch));

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Lstm(2) { RecurrentDropout = 1 });
        Assert.Contains("recurrentDropout is a fraction in [0, 1)", ex.Message, StringComparison.Ordinal);
    }

    private sealed class FloatTolerance(float absolute, float relative) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= absolute + (relative * Math.Abs(x));

        public int GetHashCode(float obj) => 0;
    }
}
