using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

public class PrefetchQueueTests
{
    [Fact]
    public void Items_arrive_in_order_across_a_full_queue_then_the_end()
    {
        var queue = new PrefetchQueue<int>(2);
        var producer = new Thread(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                Assert.True(queue.Add(i));
            }

            queue.Complete(null);
        });
        producer.Start();

        var received = new List<int>();
        while (queue.Take(out int item, out Exception? error, CancellationToken.None))
        {
            received.Add(item);
            Assert.Null(error);
        }

        producer.Join();
        Assert.Equal(Enumerable.Range(0, 50), received);
    }

    [Fact]
    public void The_producers_exception_comes_after_the_items_it_added()
    {
        var queue = new PrefetchQueue<string>(3);
        var failure = new IOException("broken");
        queue.Add("a");
        queue.Complete(failure);

        Assert.True(queue.Take(out string first, out _, CancellationToken.None));
        Assert.False(queue.Take(out _, out Exception? error, CancellationToken.None));
        Assert.Equal("a", first);
        Assert.Same(failure, error);
    }

    [Fact]
    public void Abandon_releases_a_producer_waiting_for_room()
    {
        var queue = new PrefetchQueue<int>(1);
        queue.Add(1);
        bool? added = null;
        var producer = new Thread(() => added = queue.Add(2));
        producer.Start();
        Thread.Sleep(20);

        queue.Abandon();

        Assert.True(producer.Join(TimeSpan.FromSeconds(10)));
        Assert.False(added);
    }

    [Fact]
    public void A_waiting_consumer_sees_cancellation()
    {
        var queue = new PrefetchQueue<int>(1);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));

        Assert.ThrowsAny<OperationCanceledException>(() => queue.Take(out _, out _, cancellation.Token));
    }
}
