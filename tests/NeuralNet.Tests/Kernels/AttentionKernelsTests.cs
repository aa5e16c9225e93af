using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class AttentionKernelsTests
{
    [Fact]
    public void SoftmaxRows_MatchesTheFloat64ReferenceForEveryLength()
    {
        for (int columns = 1; columns <= 40; columns++)
        {
            Tensor values = Tensor.RandomNormal(new TensorShape(3, columns), columns, 0f, 4f);
            values[1, 0] += AttentionKernels.MaskedScore;
            float[] expected = values.ToArray();
            AttentionKernels.SoftmaxRowsReference(expected, 3, columns);
            Span<float> actual = values.AsSpan();
            AttentionKernels.SoftmaxRows(actual, 3, columns);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6, $"{columns} columns, element {i}: {actual[i]} instead of {expected[i]}");
            }
        }
    }

    [Fact]
    public void SoftmaxBackwardRows_IsTheJacobianTransposeProduct()
    {
        const int columns = 7;
        float[] p = Tensor.RandomNormal(new TensorShape(2, columns), 1).ToArray();
        AttentionKernels.SoftmaxRowsReference(p, 2, columns);
        float[] dp = Tensor.RandomNormal(new TensorShape(2, columns), 2).ToArray();
        var ds = new float[p.Length];
        AttentionKernels.SoftmaxBackwardRows(p, dp, ds, 2, columns);
        for (int r = 0; r < 2; r++)
        {
            for (int j = 0; j < columns; j++)
            {
                // ds_j = Σ_i dp_i · ∂p_i/∂s_j with ∂p_i/∂s_j = p_i (δ_ij − p_j).
                double expected = 0;
                for (int i = 0; i < columns; i++)
                {
                    expected += dp[(r * columns) + i] * p[(r * columns) + i] * ((i == j ? 1.0 : 0.0) - p[(r * columns) + j]);
                }

                Assert.Equal(expected, ds[(r * columns) + j], 1e-6);
            }
        }

        Assert.Throws<ArgumentException>(() => AttentionKernels.SoftmaxBackwardRows(p, dp, ds.AsSpan(0, 3), 2, columns));
    }
}
