using NeuralNet.Activations;
using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Conv1D's gather and scatter run one sample per work item on the worker pool: the output, the input gradient and the
// weight gradients have the same bits on 1, 2 and 3 threads, with the batch's patch matrix kept and past the budget
// (chunks that start and end inside a sample), strided, dilated and padded.
public class Conv1DParallelTests
{
    public static TheoryData<int, int, Padding, long> Cases() => new()
    {
        { 1, 1, Padding.Same, 64L << 20 },
        { 1, 1, Padding.Same, 100_000 },
        { 2, 1, Padding.Valid, 64L << 20 },
        { 1, 3, Padding.Causal, 70_000 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingStep_OneToThreeThreads_SameBits(int strides, int dilation, Padding padding, long budget)
    {
        // (6, 700, 16) with a 3-tap kernel: 6 x 700 x 48 patch values, past the parallel threshold.
        Tensor x = Tensor.RandomNormal(new TensorShape(6, 700, 16), seed: 1);
        int[] expected = Step(1);
        Assert.Equal(expected, Step(2));
        Assert.Equal(expected, Step(3));

        int[] Step(int threads)
        {
            int previous = Parallelism.MaxDegreeOfParallelism;
            Parallelism.MaxDegreeOfParallelism = threads;
            try
            {
                var layer = new Conv1D(8, 3, strides: strides, padding: padding, dilationRate: dilation, activation: ActivationFunction.Tanh)
                {
                    Seed = 2,
                    ColumnsBudgetBytes = budget,
                };
                layer.Build(new TensorShape(700, 16));
                float[] y = layer.Forward(x, training: true).ToArray();
                float[] dx = layer.Backward(Tensor.RandomNormal(new TensorShape(6, layer.OutputShape[0], 8), seed: 3)).ToArray();
                return [.. new[] { y, dx, layer.Kernel.Gradient.ToArray(), layer.Bias!.Gradient.ToArray() }.SelectMany(a => a).Select(BitConverter.SingleToInt32Bits)];
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = previous;
            }
        }
    }
}
