using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;
using RecurrentLayer = NeuralNet.Layers.Recurrent;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>Keras' masking in the recurrent layers: masked steps carry the state through unchanged.</summary>
public class RecurrentMaskingTests
{
    private static readonly Func<RecurrentLayer>[] Variants =
    [
        () => new SimpleRnn(3),
        () => new SimpleRnn(3, returnSequences: true, goBackwards: true),
        () => new SimpleRnn(2, returnSequences: true) { ZeroOutputForMask = true },
        () => new Lstm(3),
        () => new Lstm(3, returnSequences: true),
        () => new Lstm(2, goBackwards: true, returnSequences: true) { ZeroOutputForMask = true },
        () => new Gru(3),
        () => new Gru(3, returnSequences: true, goBackwards: true),
        () => new Gru(3, resetAfter: false),
        () => new Gru(2, resetAfter: false, returnSequences: true) { ZeroOutputForMask = true },
        () => new Gru(2, returnSequences: true, goBackwards: true) { ZeroOutputForMask = true },
        () => new SimpleRnn(3) { ZeroOutputForMask = true },
        () => new Lstm(3) { ZeroOutputForMask = true },
        () => new Gru(2, goBackwards: true) { ZeroOutputForMask = true },
    ];

    public static TheoryData<int> VariantIndices => [.. Enumerable.Range(0, Variants.Length)];

    // keras/src/layers/rnn/*_test.py, test_masking: kernel 0.01, recurrent kernel 0.02, bias 0.03, input arange(24) as
    // (2, 4, 3). Each entry is one value per step (or one per sample for the last state); every unit holds it.
    [Theory]
    [InlineData("lstm", "TTTF,TTFF", new[] { 0.11755939f, 0.28556206f })]
    [InlineData("lstm_sequences", "TTTF,TTFF", new[] { 0.01588910f, 0.05552048f, 0.11755939f, 0.11755939f, 0.14185596f, 0.28556206f, 0.28556206f, 0.28556206f })]
    [InlineData("lstm_zero_output", "TTTF,TTFF", new[] { 0.01588910f, 0.05552048f, 0.11755939f, 0f, 0.14185596f, 0.28556206f, 0f, 0f })]
    [InlineData("lstm_backwards", "FTTT,FFTT", new[] { 0.15341201f, 0.3844719f })]
    [InlineData("gru", "TTFT,TFFT", new[] { 0.19393763f, 0.30818558f })]
    [InlineData("gru_sequences", "TTFT,TFFT", new[] { 0.03606692f, 0.09497581f, 0.09497581f, 0.19393763f, 0.16051409f, 0.16051409f, 0.16051409f, 0.30818558f })]
    [InlineData("gru_zero_output", "TTFT,TFFT", new[] { 0.03606692f, 0.09497581f, 0f, 0.19393763f, 0.16051409f, 0f, 0f, 0.30818558f })]
    [InlineData("gru_backwards", "TTFT,TFFT", new[] { 0.11669192f, 0.28380975f })]
    [InlineData("simple_rnn", "TTFT,TFFT", new[] { 0.32951632f, 0.61799484f })]
    [InlineData("simple_rnn_sequences", "TTFT,TFFT", new[] { 0.0599281f, 0.15122814f, 0.15122814f, 0.32394567f, 0.3969304f, 0.3969304f, 0.3969304f, 0.608085f })]
    [InlineData("simple_rnn_zero_output", "TTFT,TFFT", new[] { 0.0599281f, 0.15122814f, 0f, 0.32394567f, 0.3969304f, 0f, 0f, 0.608085f })]
    [InlineData("simple_rnn_backwards", "TTFT,TFFT", new[] { 0.07376196f, 0.43645123f })]
    public void Matches_keras_published_masking_values(string variant, string maskText, float[] expected)
    {
        Initializer k = new Constant(0.01f), r = new Constant(0.02f), b = new Constant(0.03f);
        bool sequences = variant.EndsWith("sequences", StringComparison.Ordinal) || variant.EndsWith("zero_output", StringComparison.Ordinal);
        bool zero = variant.EndsWith("zero_output", StringComparison.Ordinal), backwards = variant.EndsWith("backwards", StringComparison.Ordinal);
        int units = variant.StartsWith("simple", StringComparison.Ordinal) && !sequences ? 4 : 2;
        Layer layer = variant.Split('_')[0] switch
        {
            "lstm" => new Lstm(units, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, returnSequences: sequences, goBackwards: backwards) { ZeroOutputForMask = zero },
            "gru" => new Gru(units, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, returnSequences: sequences, goBackwards: backwards) { ZeroOutputForMask = zero },
            _ => new SimpleRnn(units, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, returnSequences: sequences, goBackwards: backwards) { ZeroOutputForMask = zero },
        };
        Tensor sequence = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], 2, 4, 3);
        Tensor mask = Tensor.FromArray([.. maskText.Replace(",", string.Empty, StringComparison.Ordinal).Select(c => c == 'T' ? 1f : 0f)], 2, 4);

        Tensor output = layer.Forward(sequence, mask, training: false);

        int perValue = units;
        Assert.Equal(expected.Length * perValue, output.Length);
        ReadOnlySpan<float> y = output.AsReadOnlySpan();
        for (int i = 0; i < y.Length; i++)
        {
            float e = expected[i / perValue];
            Assert.True(Math.Abs(y[i] - e) <= 1e-5 + (1e-5 * Math.Abs(e)), $"{variant}: element {i} is {y[i]}, Keras gives {e}.");
        }
    }

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void Backward_through_masked_steps_matches_numerical_gradients(int variant)
    {
        RecurrentLayer layer = Built(variant, features: 3, steps: 5);
        Tensor input = Tensor.RandomNormal(new TensorShape(3, 5, 3), 29);
        Tensor mask = Tensor.FromArray([1, 1, 0, 1, 0, /**/ 0, 0, 1, 1, 1, /**/ 1, 0, 0, 0, 1], 3, 5);
        GradientChecker.CheckLayer(layer, input, seed: 6, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void Values_at_masked_steps_do_not_change_the_output(int variant)
    {
        RecurrentLayer layer = Built(variant, features: 3, steps: 5);
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 5, 3), 3);
        Tensor mask = Tensor.FromArray([1, 0, 1, 1, 0, /**/ 0, 1, 1, 0, 1], 2, 5);
        float[] before = layer.Forward(input, mask, training: false).ToArray();

        for (int i = 0; i < input.Length; i++)
        {
            if (mask.AsReadOnlySpan()[i / 3] == 0f)
            {
                input.AsSpan()[i] += 5f;
            }
        }

        float[] after = layer.Forward(input, mask, training: false).ToArray();
        Assert.Equal(before, after);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_post_padded_sequence_gives_the_last_state_of_its_real_steps(bool goBackwards)
    {
        var padded = new Lstm(4, goBackwards: goBackwards) { Seed = 5 };
        padded.Build(new TensorShape(6, 3));
        var shorter = new Lstm(4, goBackwards: goBackwards) { Seed = 5 };
        shorter.Build(new TensorShape(4, 3));
        Tensor real = Tensor.RandomNormal(new TensorShape(1, 4, 3), 8);
        Tensor input = Tensor.Zeros(1, 6, 3);
        real.AsReadOnlySpan().CopyTo(input.AsSpan());
        Tensor mask = Tensor.FromArray([1, 1, 1, 1, 0, 0], 1, 6);

        float[] expected = shorter.Forward(real, training: false).ToArray();
        float[] actual = padded.Forward(input, mask, training: false).ToArray();

        Assert.Equal(expected, actual);
    }

    public static TheoryData<int> LastOutputZeroVariants => [0, 1, 2];

    [Theory]
    [MemberData(nameof(LastOutputZeroVariants))]
    public void Zero_output_for_mask_without_sequences_zeroes_the_output_of_a_masked_last_step(int variant)
    {
        // Keras' backends write the masked output (zeros) into the single output slot too: with zero_output_for_mask, a
        // sample whose last step to run is masked outputs zeros, while its returned state is the state the steps carried.
        RecurrentLayer Make(bool zero) => variant switch
        {
            0 => new SimpleRnn(3) { ZeroOutputForMask = zero, ReturnState = true },
            1 => new Lstm(3) { ZeroOutputForMask = zero, ReturnState = true },
            _ => new Gru(3, goBackwards: true) { ZeroOutputForMask = zero, ReturnState = true },
        };

        RecurrentLayer layer = Make(zero: true), carried = Make(zero: false);
        layer.Seed = carried.Seed = 9;
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 5, 3), 12);
        float[] lastMasked = layer.GoBackwards ? [0, 1, 1, 0, 1] : [1, 1, 0, 1, 0];
        Tensor mask = Tensor.FromArray([.. lastMasked, 1, 0, 1, 1, 1], 2, 5);   // sample 1: the first and last steps are real

        float[] output = layer.Forward(input, mask, training: false).ToArray();
        float[] state = layer.GetOutput(1).ToArray();
        float[] expected = carried.Forward(input, mask, training: false).ToArray();

        Assert.Equal(expected, state);
        Assert.All(expected.AsSpan(0, 3).ToArray(), v => Assert.NotEqual(0f, v));
        Assert.Equal([0f, 0f, 0f, .. expected.AsSpan(3, 3).ToArray()], output);
        Tensor[] inputs = [input];
        MultiOutputGradientChecker.CheckLayer(layer, inputs, seed: 4, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void The_output_mask_is_the_input_mask_with_sequences_and_none_without()
    {
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 3, 2), 1);
        Tensor mask = Tensor.FromArray([1, 0, 1, 1, 1, 0], 2, 3);
        var sequences = new Gru(2, returnSequences: true);
        var last = new Gru(2);

        sequences.Forward(input, mask, training: false);
        last.Forward(input, mask, training: false);

        Assert.Same(mask, sequences.OutputMask);
        Assert.Null(last.OutputMask);
        sequences.Forward(input, training: false);
        Assert.Null(sequences.OutputMask);
    }

    [Fact]
    public void A_mask_of_the_wrong_shape_is_refused_with_both_shapes()
    {
        var layer = new Lstm(2, name: "encoder");
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(2, 3, 4), Tensor.Zeros(2, 4), training: false));
        Assert.Contains("LSTM 'encoder'", error.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 4)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3, 4)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_masked_training_step_allocates_nothing_after_the_first_batch()
    {
        var layer = new Lstm(4, returnSequences: true) { Seed = 2, ZeroOutputForMask = true };
        Tensor input = Tensor.RandomNormal(new TensorShape(8, 6, 5), 4);
        Tensor mask = Tensor.FromArray([.. Enumerable.Range(0, 48).Select(i => i % 6 < 2 + (i / 6 % 4) ? 1f : 0f)], 8, 6);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(8, 6, 4), 5);
        layer.Forward(input, mask, training: true);
        layer.Backward(upstream);

        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(input, mask, training: true);
            layer.Backward(upstream);
        });
    }

    private static RecurrentLayer Built(int variant, int features, int steps)
    {
        RecurrentLayer layer = Variants[variant]();
        layer.Seed = 71 + variant;
        layer.Build(new TensorShape(steps, features));
        if (layer.Bias is { } bias)
        {
            layer.Forward(Tensor.Zeros(1, steps, features), training: false);
            Tensor.RandomNormal(bias.Shape, 43 + variant, 0f, 0.5f).AsReadOnlySpan().CopyTo(bias.Value.AsSpan());
        }

        return layer;
    }
}
