using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class ConvParallelTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    public void For_AnyCount_RunsEveryIndexOnce(int count)
    {
        var work = new CountingWork(count);

        ConvParallel.For(count, work);

        Assert.All(work.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_BodyThrows_RethrowsOnCaller()
    {
        var work = new ThrowingWork();

        var ex = Assert.Throws<InvalidOperationException>(() => ConvParallel.For(64, work));

        Assert.Equal("index 13", ex.Message);
    }

    [Fact]
    public void For_NestedCall_RunsEveryInnerIndex()
    {
        var inner = new CountingWork(50 * 8);
        var outer = new NestedWork(inner);

        ConvParallel.For(50, outer);

        Assert.All(inner.Hits, h => Assert.Equal(1, h));
    }

    private sealed class CountingWork(int count) : ParallelWork
    {
        public int[] Hits { get; } = new int[count];

        public override void Run(int index) => Interlocked.Increment(ref Hits[index]);
    }

    private sealed class ThrowingWork : ParallelWork
    {
        public override void Run(int index)
        {
            if (index == 13)
            {
                throw new InvalidOperationException("index 13");
            }
        }
    }

    private sealed class NestedWork(CountingWork inner) : ParallelWork
    {
        public override void Run(int index) => ConvParallel.For(8, new Offset(inner, index * 8));

        private sealed class Offset(CountingWork target, int start) : ParallelWork
        {
            public override void Run(int index) => target.Run(start + index);
        }
    }
}
