using System.Diagnostics;
using System.Globalization;

namespace NeuralNet.Benchmarks;

/// <summary>
/// What the machine itself adds to the tail of a short call (<c>dotnet run -c Release -- machine-jitter [seconds]</c>):
/// one thread reads the timestamp counter in a tight loop and records every gap longer than 2 us, when the virtual CPU
/// was taken away (a timer interrupt, the hypervisor). It prints how often gaps come and how long they last, and for
/// calls of 5 to 30 us of work the share that meets a gap and the median and p99 of their durations: once that share
/// passes 1 %, a call of that length has a gap in its 99th percentile whatever it computes.
/// </summary>
internal static class MachineJitter
{
    private const double GapMicroseconds = 2;

    public static void Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        double tickMicroseconds = 1e6 / Stopwatch.Frequency;
        long threshold = (long)(GapMicroseconds / tickMicroseconds), end = (long)(seconds * Stopwatch.Frequency);
        var starts = new List<long>(1 << 16);
        var lengths = new List<long>(1 << 16);
        long origin = Stopwatch.GetTimestamp(), previous = origin;
        while (previous - origin < end)
        {
            long now = Stopwatch.GetTimestamp();
            if (now - previous > threshold)
            {
                starts.Add(previous - origin);
                lengths.Add(now - previous);
            }

            previous = now;
        }

        double total = (previous - origin) * tickMicroseconds;
        double[] sorted = [.. lengths.Select(l => l * tickMicroseconds).Order()];
        double[] intervals = [.. starts.Zip(starts.Skip(1), (a, b) => (b - a) * tickMicroseconds).Order()];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{seconds:F0} s of timestamp reads: {starts.Count} gaps over {GapMicroseconds} us ({starts.Count / (total / 1e6):F0} per second, {sorted.Sum() / total * 100:F2} % of the time)"));
        if (sorted.Length < 2)
        {
            return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gap length: median {Percentile(sorted, 0.5):F1} us, p90 {Percentile(sorted, 0.9):F1} us; time between gaps: median {Percentile(intervals, 0.5):F0} us"));

        // A call of w us of work starting at a uniformly random time takes w plus the gaps that start while it runs
        // (followed in real time, so a gap lengthens the window later gaps can land in): sample start times.
        var random = new Random(1);
        long span = previous - origin;
        foreach (double window in new[] { 5.0, 8, 12, 16, 20, 30 })
        {
            long work = (long)(window / tickMicroseconds);
            var durations = new double[100_000];
            int hit = 0;
            for (int i = 0; i < durations.Length; i++)
            {
                long start = (long)(random.NextDouble() * (span - work - (long)(1000 / tickMicroseconds)));
                long finish = start + work;
                int index = starts.BinarySearch(start);
                index = index < 0 ? ~index : index;
                bool gapped = false;
                for (; index < starts.Count && starts[index] < finish; index++)
                {
                    finish += lengths[index];
                    gapped = true;
                }

                hit += gapped ? 1 : 0;
                durations[i] = (finish - start) * tickMicroseconds;
            }

            Array.Sort(durations);
            double median = Percentile(durations, 0.5), p99 = Percentile(durations, 0.99);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"calls of {window,2:F0} us of work: {hit * 100.0 / durations.Length,5:F2} % meet a gap; median {median,5:F1} us, p99 {p99,5:F1} us ({p99 / median:F2}x)"));
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
