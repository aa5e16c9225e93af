using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

// A product given a PackedB packs op(B) into it once and reads it from there until it is invalidated: the bits must be
// those of the product that packs B itself, on one thread or two, and a stale copy must never be read for a new shape.
public class GemmPackedBTests
{
    private static Arbitrary<GemmTests.GemmCase> Cases =>
        (from m in Gen.Choose(1, 200)
         from n in Gen.Frequency((2, Gen.Choose(1, 80)), (1, Gen.Choose(80, 1100)))
         from k in Gen.Frequency((2, Gen.Choose(1, 140)), (1, Gen.Choose(140, 400)))
         from transposeA in Gen.Elements(false, true)
         from transposeB in Gen.Elements(false, true)
         from beta in Gen.Elements(0f, 1f)
         from pads in Gen.Choose(0, 63)
         from seed in Gen.Choose(0, int.MaxValue)
         select new GemmTests.GemmCase(m, n, k, transposeA, transposeB, 1f, beta, pads & 3, (pads >> 2) & 3, (pads >> 4) & 3, seed))
        .ToArbitrary();

    [Property(MaxTest = 60, Replay = "(20261204,1117)")]
    public Property Multiply_WithAPackedCopyOfB_SameBitsAsPackingItPerCall() =>
        Prop.ForAll(Cases, c =>
        {
            float[] expected = c.RunOurs();
            var reuse = new PackedB();
            float[] packing = c.RunOurs(reuse);
            float[] reading = c.RunOurs(reuse);
            Assert.Equal(expected, packing);
            Assert.Equal(expected, reading);
        });

    [Theory]
    // Above the parallel threshold, split by columns (the packed copy is read from a column offset) and by rows, with
    // ragged panels and more than one Kc and Nc block.
    [InlineData(false, false, 150, 1100, 210)]
    [InlineData(false, true, 1301, 97, 277)]
    [InlineData(true, false, 61, 1030, 561)]
    [InlineData(false, false, 2000, 70, 300)]
    public void Multiply_WithAPackedCopyOfB_OnOneOrTwoThreads_SameBits(bool transposeA, bool transposeB, int m, int n, int k)
    {
        var c = new GemmTests.GemmCase(m, n, k, transposeA, transposeB, 1f, 0f, 1, 2, 0, 5);
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            Parallelism.MaxDegreeOfParallelism = 1;
            float[] expected = c.RunOurs();
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                var reuse = new PackedB();
                Assert.Equal(expected, c.RunOurs(reuse));
                Assert.Equal(expected, c.RunOurs(reuse));
            }
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void A_current_copy_is_read_instead_of_B_and_Invalidate_makes_the_next_product_read_B_again()
    {
        const int M = 40, N = 300, K = 200;
        var random = new Random(3);
        float[] a = GemmTests.Fill(random, M * K), b1 = GemmTests.Fill(random, K * N), b2 = GemmTests.Fill(random, K * N);
        var reuse = new PackedB();
        float[] withB1 = Product(a, b1, null), withB2 = Product(a, b2, null);
        Assert.NotEqual(withB1, withB2);

        Assert.Equal(withB1, Product(a, b1, reuse));

        // Not invalidated: the copy of b1 is what the product reads (the contract the caller keeps).
        Assert.Equal(withB1, Product(a, b2, reuse));

        reuse.Invalidate();
        Assert.Equal(withB2, Product(a, b2, reuse));
        Assert.Equal(withB2, Product(a, b2, reuse));
    }

    [Fact]
    public void A_copy_made_for_another_shape_or_layout_is_not_read()
    {
        var random = new Random(4);
        float[] a = GemmTests.Fill(random, 64 * 300), b = GemmTests.Fill(random, 300 * 200);
        var reuse = new PackedB();
        var c = new float[64 * 200];

        Gemm.Multiply(false, false, 64, 200, 300, 1f, a, 300, b, 200, 0f, c, 200, reuse);

        // The same storage read as a transposed (200 x 300) B, then as a narrower one: each packs anew.
        foreach ((bool transposeB, int n, int k, int ldb) in new[] { (true, 200, 300, 300), (false, 150, 300, 200), (false, 200, 250, 200) })
        {
            var expected = new float[64 * n];
            var actual = new float[64 * n];
            Gemm.Multiply(false, transposeB, 64, n, k, 1f, a, 300, b, ldb, 0f, expected, n);
            Gemm.Multiply(false, transposeB, 64, n, k, 1f, a, 300, b, ldb, 0f, actual, n, reuse);
            Assert.Equal(expected, actual);
        }
    }

    private static float[] Product(float[] a, float[] b, PackedB? reuse)
    {
        const int M = 40, N = 300, K = 200;
        var c = new float[M * N];
        Gemm.Multiply(false, false, M, N, K, 1f, a, K, b, N, 0f, c, N, reuse);
        return c;
    }
}
