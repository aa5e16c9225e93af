using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

/// <summary>
/// The thread team on a team of its own (other tests use the shared one at the same time): every part runs once
/// whichever thread takes it, an ordinary call wakes a sleeping worker, and a short call (one sample's product)
/// arriving after the team has been idle runs on the caller rather than paying the worker's wake-up.
/// </summary>
public class GemmThreadTeamTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryPartRunsExactlyOnce(bool shortCall)
    {
        var team = new GemmThreadTeam();
        for (int call = 0; call < 50; call++)
        {
            var work = new RecordingWork(parts: 7);
            if (shortCall)
            {
                team.RunShort(work, 7);
            }
            else
            {
                team.Run(work, 7, 2);
            }

            Assert.All(work.Runs, runs => Assert.Equal(1, runs));
        }
    }

    [Fact]
    public void OrdinaryCall_WakesSleepingWorker()
    {
        var team = new GemmThreadTeam();
        team.Reserve(2);
        Thread.Sleep(100); // far past the worker's spin window: it is blocked

        // Part 0 waits for part 1 to start: it can only start on another thread, which the call must have woken.
        using var partOneStarted = new ManualResetEventSlim();
        bool sawPartOne = false;
        var work = new DelegateWork(part =>
        {
            if (part == 1)
            {
                partOneStarted.Set();
            }
            else
            {
                sawPartOne = partOneStarted.Wait(TimeSpan.FromSeconds(30));
            }
        });

        team.Run(work, 2, 2);

        Assert.True(sawPartOne, "part 1 did not start on a worker while part 0 waited: the sleeping worker was not woken");
    }

    [Fact]
    public void ShortCallAfterIdle_RunsOnCaller()
    {
        var team = new GemmThreadTeam();
        team.Reserve(2);

        // The worker may be late to block on a busy machine (it keeps counting as awake while it is descheduled in its
        // spin), so one of a few calls, each after a long idle pause, must have stayed on the caller.
        int caller = Environment.CurrentManagedThreadId;
        bool stayedOnCaller = false;
        for (int attempt = 0; attempt < 5 && !stayedOnCaller; attempt++)
        {
            Thread.Sleep(100);
            var threads = new int[2];
            team.RunShort(new DelegateWork(part =>
            {
                threads[part] = Environment.CurrentManagedThreadId;
                if (part == 0)
                {
                    Thread.Sleep(20); // time enough for a woken worker to claim part 1
                }
            }), 2);
            stayedOnCaller = threads[0] == caller && threads[1] == caller;
        }

        Assert.True(stayedOnCaller, "a short call after 100 ms of idleness woke the sleeping worker in each of 5 attempts");
    }

    private sealed class RecordingWork(int parts) : GemmThreadTeam.IPartitionedWork
    {
        public int[] Runs { get; } = new int[parts];

        public void RunPart(int part) => Interlocked.Increment(ref Runs[part]);
    }

    private sealed class DelegateWork(Action<int> runPart) : GemmThreadTeam.IPartitionedWork
    {
        public void RunPart(int part) => runPart(part);
    }
}
