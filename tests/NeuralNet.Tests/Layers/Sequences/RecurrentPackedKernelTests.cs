using NeuralNet.Layers;
using RecurrentLayer = NeuralNet.Layers.Recurrent;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// A recurrent layer packs each block of its recurrent kernel for the GEMM once per forward and once per backward pass
// instead of once per step. The products of a batch of 9 rows read those copies; a row alone takes the GEMM's skinny
// path, which reads U in place and gives a row its in-batch bits. So the batch must equal its rows run one at a time, bit
// for bit, in the outputs and in the input gradients (both row-wise), and again after the weights change between passes.
public class RecurrentPackedKernelTests
{
    private const int Batch = 9, Steps = 4, Features = 3, Units = 20;

    private static readonly Func<RecurrentLayer>[] Variants =
    [
        () => new SimpleRnn(Units, returnSequences: true),
        () => new Lstm(Units),
        () => new Lstm(Units, returnSequences: true, goBackwards: true),
        () => new Gru(Units, returnSequences: true),
        () => new Gru(Units, resetAfter: false),
    ];

    public static TheoryData<int> VariantIndices => [.. Enumerable.Range(0, Variants.Length)];

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void A_batch_equals_its_rows_one_at_a_time_before_and_after_the_weights_change(int variant)
    {
        RecurrentLayer layer = Variants[variant]();
        layer.Seed = 3 + variant;
        layer.Build(new TensorShape(Steps, Features));
        Tensor x = Tensor.RandomNormal(new TensorShape(Batch, Steps, Features), 11);

        AssertBatchEqualsRows(layer, x, seed: 12);

        Span<float> u = layer.RecurrentKernel.Value.AsSpan();
        for (int i = 0; i < u.Length; i++)
        {
            u[i] += (i % 7) * 0.01f;
        }

        AssertBatchEqualsRows(layer, x, seed: 13);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Recurrent_dropout_reads_each_gate_block_packed_as_the_float64_reference_does(int kind)
    {
        RecurrentLayer layer = kind switch
        {
            0 => new Lstm(Units, returnSequences: true) { RecurrentDropout = 0.4, DropoutSeed = 7 },
            1 => new Gru(Units, returnSequences: true) { RecurrentDropout = 0.4, DropoutSeed = 7 },
            _ => new Gru(Units, resetAfter: false) { RecurrentDropout = 0.4, DropoutSeed = 7 },
        };
        layer.Build(new TensorShape(Steps, Features));
        Tensor x = Tensor.RandomNormal(new TensorShape(Batch, Steps, Features), 21);

        float[] trained = layer.Forward(x, training: true).ToArray();
        int width = layer.Kernel.Shape[1];
        Tensor masks = Tensor.FromSpan(layer.RecurrentDropoutMasks!.AsReadOnlySpan()[..(Batch * width)], Batch, width / Units, Units);
        float[] expected = RecurrentReference.Forward(layer, x, recurrentMasks: masks);

        Assert.Equal(expected.Length, trained.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(trained[i] - expected[i]) <= 2e-6 + (1e-5 * Math.Abs(expected[i])), $"{layer}: element {i} is {trained[i]}, the reference gives {expected[i]}.");
        }
    }

    private static void AssertBatchEqualsRows(RecurrentLayer layer, Tensor x, long seed)
    {
        int outputWidth = layer.Forward(x.Slice(0, 1), training: true).Length;
        Tensor dy = Tensor.RandomNormal(layer.OutputShape.Prepend(Batch), seed);

        float[] batchOutput = layer.Forward(x, training: true).ToArray();
        float[] batchInputGradient = layer.Backward(dy).ToArray();

        int inputWidth = Steps * Features;
        for (int r = 0; r < Batch; r++)
        {
            float[] rowOutput = layer.Forward(x.Slice(r, 1), training: true).ToArray();
            float[] rowInputGradient = layer.Backward(dy.Slice(r, 1)).ToArray();
            Assert.Equal(batchOutput.AsSpan(r * outputWidth, outputWidth).ToArray(), rowOutput);
            Assert.Equal(batchInputGradient.AsSpan(r * inputWidth, inputWidth).ToArray(), rowInputGradient);
        }
    }
}
