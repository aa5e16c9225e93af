using NeuralNet.Kernels;

namespace NeuralNet.Benchmarks;

/// <summary>Seeded operands for one <see cref="GemmShape"/>, shared by our kernel and the baselines.</summary>
internal sealed class GemmData
{
    private readonly GemmShape _shape;
    private readonly float[] _a;
    private readonly float[] _b;
    private readonly float[] _c;
    private readonly int _lda;
    private readonly int _ldb;

    public GemmData(GemmShape shape)
    {
        _shape = shape;
        var random = new Random(42);
        _a = Fill(random, shape.M * shape.K);
        _b = Fill(random, shape.K * shape.N);
        _c = new float[shape.M * shape.N];
        _lda = shape.TransposeA ? shape.M : shape.K;
        _ldb = shape.TransposeB ? shape.K : shape.N;
    }

    public void RunOurs() => Gemm.Multiply(_shape.TransposeA, _shape.TransposeB, _shape.M, _shape.N, _shape.K, 1f, _a, _lda, _b, _ldb, 0f, _c, _shape.N);

    public void RunOpenBlas() => OpenBlas.Sgemm(_shape.TransposeA, _shape.TransposeB, _shape.M, _shape.N, _shape.K, 1f, _a, _lda, _b, _ldb, 0f, _c, _shape.N);

    // The naive triple loop, i-p-j order (the loop a C# programmer writes first).
    public void RunNaive()
    {
        int m = _shape.M, n = _shape.N, k = _shape.K;
        Array.Clear(_c);
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                float aip = _shape.TransposeA ? _a[(p * _lda) + i] : _a[(i * _lda) + p];
                for (int j = 0; j < n; j++)
                {
                    _c[(i * n) + j] += aip * (_shape.TransposeB ? _b[(j * _ldb) + p] : _b[(p * _ldb) + j]);
                }
            }
        }
    }

    private static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
