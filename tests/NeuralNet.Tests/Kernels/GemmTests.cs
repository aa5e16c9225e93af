using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class GemmTests
{
    private static readonly int[] s_specialSizes = [1, 2, 3, 5, 7, 11, 13, 16, 17, 31, 32, 33, 97, 127, 251, 257, 293, 300];

    // Sizes in 1..300, weighted towards small ones, with 1, primes and SIMD-width neighbours often.
    private static Gen<int> SizeGen => Gen.Frequency(
        (3, Gen.Elements(s_specialSizes)),
        (3, Gen.Choose(1, 40)),
        (1, Gen.Choose(1, 300)));

    private static Arbitrary<GemmCase> Cases =>
        (from m in SizeGen
         from n in SizeGen
         from k in SizeGen
         from transposeA in Gen.Elements(false, true)
         from transposeB in Gen.Elements(false, true)
         from alpha in Gen.Elements(1f, -0.5f, 2.25f)
         from beta in Gen.Elements(0f, 1f, 0.5f, -1.5f)
         from pads in Gen.Choose(0, 63)
         from seed in Gen.Choose(0, int.MaxValue)
         select new GemmCase(m, n, k, transposeA, transposeB, alpha, beta, pads & 3, (pads >> 2) & 3, (pads >> 4) & 3, seed))
        .ToArbitrary();

    [Property(MaxTest = 100, Replay = "(20261123,4243)")]
    public Property Multiply_RandomShapesTransposesAndStrides_MatchesDoubleReference() =>
        Prop.ForAll(Cases, c => c.AssertMatchesReference());

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Multiply_LargerThanOneBlock_MatchesDoubleReference(bool transposeA, bool transposeB)
    {
        // Crosses the Kc (128) and Nc (1024) block edges with ragged tails.
        new GemmCase(37, 1041, 301, transposeA, transposeB, 1f, 0.5f, 1, 2, 3, 7).AssertMatchesReference();
    }

    [Theory]
    // All above the parallel threshold (2^25 multiply-adds), with ragged tiles and both split directions.
    [InlineData(false, false, 150, 1100, 210)]
    [InlineData(false, true, 1301, 97, 277)]
    [InlineData(true, false, 61, 1030, 561)]
    [InlineData(true, true, 331, 330, 330)]
    [InlineData(false, false, 8003, 10, 430)]
    [InlineData(false, true, 6999, 16, 301)]
    [InlineData(true, false, 20011, 10, 170)]
    [InlineData(true, true, 16001, 13, 163)]
    public void Multiply_OneOrTwoThreads_BitIdentical(bool transposeA, bool transposeB, int m, int n, int k)
    {
        var c = new GemmCase(m, n, k, transposeA, transposeB, 1.5f, 0.5f, 1, 0, 2, 11);
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            Parallelism.MaxDegreeOfParallelism = 1;
            float[] one = c.RunOurs();
            Parallelism.MaxDegreeOfParallelism = 2;
            float[] two = c.RunOurs();
            Parallelism.MaxDegreeOfParallelism = 3;
            float[] three = c.RunOurs();
            Assert.Equal(one, two);
            Assert.Equal(one, three);
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    // A product of a few rows reads B in place (the skinny path) but must give each row the bits it gets inside a taller
    // product (the packed path): one sample predicted alone equals the same sample in a batch.
    [Theory]
    [InlineData(1, 512, 784, 1f, 0f)]
    [InlineData(2, 17, 300, -0.5f, 1.5f)]
    [InlineData(3, 521, 129, 2.25f, 0f)]
    [InlineData(4, 200, 1000, 1f, 1f)]
    [InlineData(1, 40, 7, 1f, -1.5f)]
    public void Multiply_FewRows_SameBitsAsTheSameRowsOfATallProduct(int m, int n, int k, float alpha, float beta)
    {
        const int TallM = 24;
        var random = new Random(m + n + k);
        float[] a = Fill(random, TallM * k);
        float[] b = Fill(random, k * n);
        float[] bias = Fill(random, n);
        float[] tall = Fill(random, TallM * n);
        float[] few = tall[..(m * n)];
        float[] tallFused = new float[TallM * n], fewFused = new float[m * n];

        Gemm.Multiply(false, false, TallM, n, k, alpha, a, k, b, n, beta, tall, n);
        Gemm.Multiply(false, false, m, n, k, alpha, a, k, b, n, beta, few, n);
        Gemm.Multiply(false, false, TallM, n, k, a, k, b, n, bias, GemmActivation.Relu, tallFused, n);
        Gemm.Multiply(false, false, m, n, k, a, k, b, n, bias, GemmActivation.Relu, fewFused, n);

        Assert.Equal(tall[..(m * n)], few);
        Assert.Equal(tallFused[..(m * n)], fewFused);
    }

    // A narrow product with A transposed (n <= 16) takes its own path; each of its columns must come out as the same
    // column of a wide product (packed path) does: K crossing the Kc block edge, a row tail, alpha and beta, strided B.
    [Theory]
    [InlineData(false, 29, 10, 300)]
    [InlineData(true, 29, 10, 300)]
    [InlineData(false, 64, 16, 129)]
    [InlineData(true, 7, 3, 40)]
    [InlineData(false, 130, 1, 128)]
    public void Multiply_NarrowTransposedA_SameBitsAsTheSameColumnsOfAWideProduct(bool transposeB, int m, int n, int k)
    {
        const int WideN = 40;
        var random = new Random(m + n + k);
        float[] a = Fill(random, k * m);                       // stored k x m (A transposed)
        float[] b = Fill(random, k * WideN);                   // k x 40, or 40 x k when transposed
        float[] wide = Fill(random, m * WideN);
        var narrow = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            Array.Copy(wide, i * WideN, narrow, i * n, n);
        }

        int ldb = transposeB ? k : WideN;
        Gemm.Multiply(true, transposeB, m, WideN, k, -0.5f, a, m, b, ldb, 1.5f, wide, WideN);
        Gemm.Multiply(true, transposeB, m, n, k, -0.5f, a, m, b, ldb, 1.5f, narrow, n);
        for (int i = 0; i < m; i++)
        {
            Assert.Equal(wide.AsSpan(i * WideN, n).ToArray(), narrow.AsSpan(i * n, n).ToArray());
        }
    }

    [Fact]
    public void Multiply_ConcurrentCallers_SameResultsAsSequential()
    {
        // Several threads share the worker team (each product is above the parallel threshold); whoever finds it busy runs its parts itself.
        GemmCase[] cases = Enumerable.Range(0, 6).Select(i => new GemmCase(300 + i, 330, 340, i % 2 == 0, i % 3 == 0, 1f, 0f, 0, 1, 0, i)).ToArray();
        float[][] sequential = cases.Select(c => c.RunOurs()).ToArray();
        var concurrent = new float[cases.Length][];
        Parallel.For(0, cases.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => concurrent[i] = cases[i].RunOurs());
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.Equal(sequential[i], concurrent[i]);
        }
    }

    [Fact]
    public void Multiply_BetaZero_IgnoresNaNInOutput()
    {
        var a = new float[] { 1, 2, 3, 4 };
        var b = new float[] { 5, 6, 7, 8 };
        var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Gemm.Multiply(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c);
    }

    [Fact]
    public void Multiply_KZero_ScalesOutputByBeta()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(false, false, 2, 2, 0, 1f, [], 1, [], 2, 2f, c, 2);
        Assert.Equal(new float[] { 2, 4, 6, 8 }, c);
    }

    [Theory]
    [InlineData(false, 300, 600, 300)]
    [InlineData(true, 250, 700, 260)]
    [InlineData(false, 131, 1030, 270)]
    [InlineData(false, 520, 540, 300)]
    [InlineData(true, 500, 520, 300)]
    public void Multiply_PackedAOnTwoThreads_SameBitsAsOneThreadAndCloseToReference(bool transposeA, int m, int n, int k)
    {
        // lda = 512 floats (2 KiB) cannot be read in place: on two threads each thread packs the panels of A it needs.
        // The first three shapes split C by columns; the last two are square enough that splitting rows packs less.
        // With and without the bias + ReLU epilogue.
        const int lda = 512;
        var random = new Random(m + n + k);
        float[] a = Fill(random, (transposeA ? k : m) * lda);
        float[] b = Fill(random, k * n);
        float[] bias = Fill(random, n);

        (float[] Plain, float[] Fused) Run(int threads)
        {
            int saved = Parallelism.MaxDegreeOfParallelism;
            try
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                var plain = new float[m * n];
                var fused = new float[m * n];
                Gemm.Multiply(transposeA, false, m, n, k, 1.25f, a, lda, b, n, 0f, plain, n);
                Gemm.Multiply(transposeA, false, m, n, k, a, lda, b, n, bias, GemmActivation.Relu, fused, n);
                return (plain, fused);
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = saved;
            }
        }

        (float[] plainOne, float[] fusedOne) = Run(1);
        (float[] plainTwo, float[] fusedTwo) = Run(2);
        Assert.Equal(plainOne, plainTwo);
        Assert.Equal(fusedOne, fusedTwo);

        var expected = new float[m * n];
        Gemm.MultiplyReference(transposeA, false, m, n, k, 1.25f, a, lda, b, n, 0f, expected, n);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - plainTwo[i]) <= 1e-3f * (1 + Math.Abs(expected[i])), $"C[{i}] = {plainTwo[i]}, expected {expected[i]}");
        }
    }

    [Theory]
    [InlineData(288, 64, 1000)]
    [InlineData(25, 40, 300)]
    public void Multiply_TransposedAReadInPlaceOrPacked_SameBits(int m, int n, int k)
    {
        // A stored k x m with lda = m is read in place; with lda = 512 (a 2 KiB stride) it is packed. Same arithmetic.
        var random = new Random(m + k);
        float[] b = Fill(random, k * n);
        float[] aTight = Fill(random, k * m);
        var aWide = new float[k * 512];
        for (int p = 0; p < k; p++)
        {
            aTight.AsSpan(p * m, m).CopyTo(aWide.AsSpan(p * 512, m));
        }

        var inPlace = new float[m * n];
        var packed = new float[m * n];
        Gemm.Multiply(true, false, m, n, k, 1.5f, aTight, m, b, n, 0f, inPlace, n);
        Gemm.Multiply(true, false, m, n, k, 1.5f, aWide, 512, b, n, 0f, packed, n);
        Assert.Equal(packed, inPlace);
    }

    [Theory]
    [InlineData(128, 512, 784)]
    [InlineData(121, 64, 288)]
    [InlineData(37, 530, 19)]
    public void MultiplyWithEpilogue_SameBitsAsProductThenBiasThenRelu(int m, int n, int k)
    {
        // Layers rely on this: fusing the epilogue must not change a trained model's numbers.
        var random = new Random(m * n);
        float[] a = Fill(random, m * k), b = Fill(random, k * n), bias = Fill(random, n);
        var fused = new float[m * n];
        var separate = new float[m * n];
        Gemm.Multiply(false, false, m, n, k, a, k, b, n, bias, GemmActivation.Relu, fused, n);
        Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, separate, n);
        for (int i = 0; i < m; i++)
        {
            Span<float> row = separate.AsSpan(i * n, n);
            System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
            System.Numerics.Tensors.TensorPrimitives.Max(row, 0f, row);
        }

        Assert.Equal(separate, fused);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(true, true, true)]
    public void MultiplyWithEpilogue_BiasAndActivation_MatchesReference(bool relu, bool transposeA, bool transposeB)
    {
        GemmActivation activation = relu ? GemmActivation.Relu : GemmActivation.None;
        foreach ((int m, int n, int k) in new[] { (1, 1, 1), (13, 37, 300), (128, 10, 512), (45, 530, 7) })
        {
            var random = new Random(m + n + k);
            int lda = (transposeA ? m : k) + 1, ldb = (transposeB ? k : n) + 2, ldc = n + 3;
            float[] a = Fill(random, ((transposeA ? k : m) * lda) + 1);
            float[] b = Fill(random, ((transposeB ? n : k) * ldb) + 1);
            float[] bias = Fill(random, n);
            float[] expected = Enumerable.Repeat(float.NaN, m * ldc).ToArray();
            float[] actual = (float[])expected.Clone();

            Gemm.MultiplyReference(transposeA, transposeB, m, n, k, 1f, a, lda, b, ldb, 0f, expected, ldc);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float v = expected[(i * ldc) + j] + bias[j];
                    expected[(i * ldc) + j] = activation == GemmActivation.Relu ? Math.Max(v, 0f) : v;
                }
            }

            Gemm.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, bias, activation, actual, ldc);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float e = expected[(i * ldc) + j], x = actual[(i * ldc) + j];
                    Assert.True(Math.Abs(e - x) <= 1e-4f * (1 + Math.Abs(e)), $"({m}x{n}x{k}) C[{i},{j}] = {x}, expected {e}");
                }

                for (int j = n; j < ldc && (i * ldc) + j < actual.Length; j++)
                {
                    Assert.True(float.IsNaN(actual[(i * ldc) + j]), $"padding C[{i},{j}] was written");
                }
            }
        }
    }

    [Fact]
    public void Multiply_LeadingDimensionTooSmall_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 4, 1f, new float[8], 3, new float[12], 3, 0f, new float[6], 3));
        Assert.Equal("lda", ex.ParamName);
        Assert.Contains("lda is 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multiply_TransposedOperandTooShort_ThrowsNamingIt()
    {
        // B stored transposed is n x k = 3 x 4 with ldb 4: needs 12 elements.
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, true, 2, 3, 4, 1f, new float[8], 4, new float[11], 4, 0f, new float[6], 3));
        Assert.Equal("b", ex.ParamName);
        Assert.Contains("needs 12 elements", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multiply_OutputTooShortOrNegativeSize_Throws()
    {
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 4, 1f, new float[8], 4, new float[12], 3, 0f, new float[5], 3)).ParamName);
        Assert.Equal("ldc", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 4, 1f, new float[8], 4, new float[12], 3, 0f, new float[6], 2)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, -1, 3, 4, 1f, new float[8], 4, new float[12], 3, 0f, new float[6], 3)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentException>(() => Gemm.MultiplyReference(false, false, 2, 3, -4, 1f, new float[8], 4, new float[12], 3, 0f, new float[6], 3)).ParamName);
    }

    [Fact]
    public void MultiplyWithEpilogue_BiasTooShort_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 4, new float[8], 4, new float[12], 3, new float[2], GemmActivation.Relu, new float[6], 3));
        Assert.Equal("bias", ex.ParamName);
    }

    [Fact]
    public void MaxDegreeOfParallelism_LessThanOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxDegreeOfParallelism = 0);
        Assert.True(Parallelism.MaxDegreeOfParallelism >= 1);
    }

    internal static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    /// <summary>One randomised product: sizes, transposes, scalars, leading-dimension padding and a data seed.</summary>
    public sealed record GemmCase(int M, int N, int K, bool TransposeA, bool TransposeB, float Alpha, float Beta, int PadA, int PadB, int PadC, int Seed)
    {
        private int Lda => (TransposeA ? M : K) + PadA;

        private int Ldb => (TransposeB ? K : N) + PadB;

        private int Ldc => N + PadC;

        private (float[] A, float[] B, float[] C) Operands()
        {
            var random = new Random(Seed);
            float[] a = Fill(random, ((TransposeA ? K : M) - 1) * Lda + (TransposeA ? M : K));
            float[] b = Fill(random, ((TransposeB ? N : K) - 1) * Ldb + (TransposeB ? K : N));
            float[] c = Fill(random, (M * Ldc) + 1);
            if (Beta == 0f)
            {
                // Garbage that must be ignored, including in the padding (which must stay as it is).
                for (int i = 0; i < c.Length; i += 3)
                {
                    c[i] = float.NaN;
                }
            }

            return (a, b, c);
        }

        public float[] RunOurs()
        {
            (float[] a, float[] b, float[] c) = Operands();
            Gemm.Multiply(TransposeA, TransposeB, M, N, K, Alpha, a, Lda, b, Ldb, Beta, c, Ldc);
            return c;
        }

        // As RunOurs, reading op(B) through reuse (packed by this call unless reuse already holds it).
        internal float[] RunOurs(PackedB reuse)
        {
            (float[] a, float[] b, float[] c) = Operands();
            Gemm.Multiply(TransposeA, TransposeB, M, N, K, Alpha, a, Lda, b, Ldb, Beta, c, Ldc, reuse);
            return c;
        }

        public void AssertMatchesReference()
        {
            (float[] a, float[] b, float[] original) = Operands();
            float[] expected = (float[])original.Clone();
            float[] actual = (float[])original.Clone();
            Gemm.MultiplyReference(TransposeA, TransposeB, M, N, K, Alpha, a, Lda, b, Ldb, Beta, expected, Ldc);
            Gemm.Multiply(TransposeA, TransposeB, M, N, K, Alpha, a, Lda, b, Ldb, Beta, actual, Ldc);

            // Float accumulation over k terms errs by at most about k ulps of the sum of |terms|.
            float tolerance = (K + 4) * 1.2e-7f;
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double scale = Math.Abs(Beta == 0f ? 0 : Beta * original[(i * Ldc) + j]);
                    for (int p = 0; p < K; p++)
                    {
                        float aip = TransposeA ? a[(p * Lda) + i] : a[(i * Lda) + p];
                        float bpj = TransposeB ? b[(j * Ldb) + p] : b[(p * Ldb) + j];
                        scale += Math.Abs(Alpha * aip * bpj);
                    }

                    float e = expected[(i * Ldc) + j], x = actual[(i * Ldc) + j];
                    Assert.True(Math.Abs(e - x) <= (tolerance * scale) + 1e-30, $"{this}: C[{i},{j}] = {x}, expected {e}");
                }

                for (int j = N; j < Ldc && (i * Ldc) + j < actual.Length; j++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(original[(i * Ldc) + j]), BitConverter.SingleToInt32Bits(actual[(i * Ldc) + j]));
                }
            }
        }
    }
}
