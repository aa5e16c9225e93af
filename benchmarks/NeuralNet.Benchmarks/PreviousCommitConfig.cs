using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Runs each benchmark twice in one BenchmarkDotNet run: against this working tree (the baseline job is the earlier
/// commit, so the ratio column reads "change / before"). The earlier build's folder comes from the environment variable
/// NEURALNET_BASELINE, as printed by <c>eng/build-baseline.sh</c>; without it only the current build runs.
/// </summary>
public sealed class PreviousCommitConfig : ManualConfig
{
    public PreviousCommitConfig()
    {
        AddBeforeAndChange(this, Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(7));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Min, StatisticColumn.Max);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));

        // The change job builds src/NeuralNet for two frameworks; on the shared 2-core VM under load that passed
        // BenchmarkDotNet's default two minutes and the job was dropped (session 41).
        WithBuildTimeout(TimeSpan.FromMinutes(15));
    }

    /// <summary>Adds the job as "change" and, when NEURALNET_BASELINE names an earlier build, as the "before" baseline.</summary>
    public static void AddBeforeAndChange(ManualConfig config, Job job)
    {
        Job current = job.WithId("change");
        string? baseline = Environment.GetEnvironmentVariable("NEURALNET_BASELINE");
        if (!string.IsNullOrEmpty(baseline))
        {
            config.AddJob(current.WithArguments([new MsBuildArgument($"/p:NeuralNetBaseline={baseline}")]).WithId("before").AsBaseline());
        }

        config.AddJob(current);
    }
}
