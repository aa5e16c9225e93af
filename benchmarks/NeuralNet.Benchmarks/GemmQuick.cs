using System.Diagnostics;
using System.Globalization;
using NeuralNet.Kernels;

namespace NeuralNet.Benchmarks;

/// <summary>
/// A quick Stopwatch comparison of Gemm.Multiply and OpenBLAS for iterating on the kernel
/// (`dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- gemm-quick [threads] [sizes...]`).
/// Best of several repetitions, interleaved so both see the same machine noise. Not a substitute for the BenchmarkDotNet suite.
/// </summary>
internal static class GemmQuick
{
    private static readonly int Rounds = int.Parse(Environment.GetEnvironmentVariable("GEMM_QUICK_ROUNDS") ?? "3", CultureInfo.InvariantCulture);

    public static void Run(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        GemmShape[] shapes = args.Length > 1
            ? args.Skip(1).SelectMany(GemmShape.Parse).ToArray()
            : GemmShape.All;
        Parallelism.MaxDegreeOfParallelism = threads;
        OpenBlas.SetThreads(threads);
        Console.WriteLine($"kernel={Gemm.KernelName} threads={threads} openblas={(OpenBlas.IsAvailable ? OpenBlas.LibraryName : "skipped (not installed)")}");
        foreach (GemmShape s in shapes)
        {
            var data = new GemmData(s);
            double ours = 0, blas = double.NaN, oursCpu = 0, blasCpu = double.NaN;
            for (int round = 0; round < Rounds; round++)
            {
                // Interleaved rounds so both sides see the same background load; best of all rounds.
                (double wall, double cpu) = Best(s, data.RunOurs);
                ours = Math.Max(ours, wall);
                oursCpu = Math.Max(oursCpu, cpu);
                if (OpenBlas.IsAvailable)
                {
                    (wall, cpu) = Best(s, data.RunOpenBlas);
                    blas = Math.Max(double.IsNaN(blas) ? 0 : blas, wall);
                    blasCpu = Math.Max(double.IsNaN(blasCpu) ? 0 : blasCpu, cpu);
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s,-34} ours {ours,6:F1}  openblas {blas,6:F1} GFLOPS  ratio {ours / blas,6:P1}   per CPU-second: ours {oursCpu,6:F1}  openblas {blasCpu,6:F1}  ratio {oursCpu / blasCpu,6:P1}"));
        }
    }

    // Best wall-clock GFLOPS, and best GFLOPS per second of process CPU time (insensitive to being descheduled).
    private static (double Wall, double Cpu) Best(GemmShape s, Action run)
    {
        double flops = 2.0 * s.M * s.N * s.K;
        int reps = Math.Max(1, (int)(3e9 / flops));
        run();
        double best = double.MaxValue, bestCpu = double.MaxValue;
        using var process = Process.GetCurrentProcess();
        for (int t = 0; t < 5; t++)
        {
            process.Refresh();
            TimeSpan cpuStart = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            for (int r = 0; r < reps; r++)
            {
                run();
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds / reps);
            process.Refresh();
            bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpuStart).TotalSeconds / reps);
        }

        return (flops / best / 1e9, flops / bestCpu / 1e9);
    }
}
